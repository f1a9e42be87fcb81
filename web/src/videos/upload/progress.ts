// Speed and time left of an upload. A moving window rather than bytes/elapsed since the start:
// after a pause, a reconnect or a slow start the figure follows the connection as it is now.

export const SPEED_WINDOW_MS = 5_000;
/** Below this much history a speed is noise (one progress event can carry a whole part). */
const MIN_SPAN_MS = 500;

interface Sample {
  at: number;
  bytes: number;
}

/** Bytes per second over the last few seconds of a monotonically growing byte counter. */
export class SpeedMeter {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = SPEED_WINDOW_MS) {}

  /** `transferred` is the running total of bytes sent; it never decreases. */
  record(at: number, transferred: number): void {
    this.samples.push({ at, bytes: transferred });
    this.prune(at);
  }

  /** Bytes per second, or null when too little has been measured yet. */
  speed(now: number): number | null {
    this.prune(now);
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return null;
    // A lone sample older than the window: nothing moved for the whole window.
    if (first === last) return now - first.at >= this.windowMs ? 0 : null;
    // Measured up to now, not to the last sample: a stalled upload shows its speed falling.
    const span = Math.min(now - first.at, this.windowMs);
    if (span < MIN_SPAN_MS) return null;
    return ((last.bytes - first.bytes) * 1000) / span;
  }

  /** Forgets the history (after a pause or a lost connection the old speed says nothing). */
  reset(): void {
    this.samples = [];
  }

  // Keeps one sample at or before the window's start, so the window is always fully covered.
  private prune(now: number): void {
    const start = now - this.windowMs;
    while (this.samples.length > 1 && this.samples[1]!.at <= start) this.samples.shift();
  }
}

/** Whole seconds until `remainingBytes` are sent at `bytesPerSecond`; null when unknown. */
export function secondsLeft(remainingBytes: number, bytesPerSecond: number | null): number | null {
  if (remainingBytes <= 0) return 0;
  if (bytesPerSecond === null || bytesPerSecond <= 0) return null;
  return Math.ceil(remainingBytes / bytesPerSecond);
}

/** `name:size:lastModified`: the same file picked again after a reload maps to the same upload. */
export function fileFingerprint(file: { name: string; size: number; lastModified: number }): string {
  return `${file.name}:${file.size}:${file.lastModified}`;
}

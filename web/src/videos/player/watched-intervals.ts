/**
 * The stretches of a video a viewer really watched, built from the player's position updates.
 * Framework-free (no DOM): the player feeds it `timeupdate` positions with a wall-clock time, and
 * the progress reporter drains what was watched since its last report.
 *
 * A position update counts as watching only when it moved forward by no more than the wall time
 * since the previous update allows at the current speed; anything else (a seek, a skip, a stall
 * followed by a jump) starts a new stretch at the new position and counts nothing in between.
 */

export type WatchedRange = [start: number, end: number];

/** Slack for timer jitter: `timeupdate` fires every 15–250 ms and not exactly on time. */
const JITTER_FACTOR = 1.25;
const JITTER_SECONDS = 0.3;
/** Ranges closer than this are one range (rounding, a keyframe-aligned resume). */
const TOUCHING_SECONDS = 0.05;
/** What the progress API takes in one report. */
export const MAX_RANGES_PER_REPORT = 50;

export class WatchedIntervals {
  private pending: WatchedRange[] = [];
  /** Last position observed while playing, and the wall time (ms) it was observed at. */
  private anchor: { position: number; at: number } | null = null;

  /** Playback (re)started at `position`: nothing is counted until the next update. */
  play(position: number, nowMs: number): void {
    this.anchor = { position, at: nowMs };
  }

  /** A position update while playing at `rate`; extends the current stretch when it is plausible. */
  update(position: number, nowMs: number, rate: number): void {
    const anchor = this.anchor;
    if (!anchor) {
      this.anchor = { position, at: nowMs };
      return;
    }
    const moved = position - anchor.position;
    const elapsedSeconds = Math.max(0, nowMs - anchor.at) / 1000;
    const allowed = elapsedSeconds * Math.max(rate, 0) * JITTER_FACTOR + JITTER_SECONDS;
    if (moved > 0 && moved <= allowed) this.add(anchor.position, position);
    // Backwards or too far: a seek. The new position is where the next stretch starts.
    this.anchor = { position, at: nowMs };
  }

  /** Paused, ended, waiting or hidden: the stretch so far stays counted, nothing more until `play`. */
  stop(position: number, nowMs: number, rate: number): void {
    if (this.anchor) this.update(position, nowMs, rate);
    this.anchor = null;
  }

  /** The viewer seeks: the jump is never counted; a playing video continues from `position`. */
  seek(position: number, nowMs: number, playing: boolean): void {
    this.anchor = playing ? { position, at: nowMs } : null;
  }

  /** Sorted, merged ranges watched since the last drain (at most MAX_RANGES_PER_REPORT). */
  drain(): WatchedRange[] {
    const merged = mergeRanges(this.pending);
    this.pending = [];
    // More stretches than one report takes would need minutes of one-second skips between two
    // reports; the longest ones carry almost all of the watched time.
    if (merged.length <= MAX_RANGES_PER_REPORT) return merged;
    return merged
      .slice()
      .sort((a, b) => b[1] - b[0] - (a[1] - a[0]))
      .slice(0, MAX_RANGES_PER_REPORT)
      .sort((a, b) => a[0] - b[0]);
  }

  /** Whether anything was watched since the last drain. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  private add(start: number, end: number): void {
    const last = this.pending.at(-1);
    if (last && Math.abs(last[1] - start) <= TOUCHING_SECONDS) last[1] = Math.max(last[1], end);
    else this.pending.push([start, end]);
  }
}

/** Sorted ranges with overlapping or touching ones joined; empty or inverted ranges dropped. */
export function mergeRanges(ranges: readonly WatchedRange[]): WatchedRange[] {
  const sorted = ranges.filter(([start, end]) => end > start).sort((a, b) => a[0] - b[0]);
  const result: WatchedRange[] = [];
  for (const [start, end] of sorted) {
    const last = result.at(-1);
    if (last && start <= last[1] + TOUCHING_SECONDS) last[1] = Math.max(last[1], end);
    else result.push([start, end]);
  }
  return result;
}

/** Ranges clamped to [0, duration] and rounded to milliseconds, as the progress API takes them. */
export function clampRanges(ranges: readonly WatchedRange[], duration: number): WatchedRange[] {
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return ranges
    .map(([start, end]): WatchedRange => [round(Math.max(0, start)), round(Math.min(duration, end))])
    .filter(([start, end]) => end > start);
}

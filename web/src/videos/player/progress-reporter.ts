/**
 * Reports what a viewer watched (issue 6, progress): every 10 s while playing, and on pause, seek,
 * end and page hide. Each report carries the position, the intervals watched since the previous
 * report (WatchedIntervals: seeks never count) and the speed. Reports go out one after another so
 * the server sees them in order; the one sent as the page goes away uses fetch keepalive.
 */
import { ApiError } from '../../api/apiError';
import type { ProgressEvent, ProgressReport } from './api';
import { clampRate } from './preferences';
import { clampRanges, mergeRanges, WatchedIntervals, type WatchedRange } from './watched-intervals';

export const TICK_MS = 10_000;
/** Scrubbing fires many seeks; one report per this long is enough. */
const SEEK_REPORT_GAP_MS = 1_000;

export interface ProgressReporterOptions {
  media: HTMLMediaElement;
  /** The playback session the reports belong to (null: anonymous preview, nothing is reported). */
  sessionId: () => string | null;
  /** The video's duration from the grant, when known (else the media element's). */
  durationSeconds: number | null;
  send(report: ProgressReport, keepalive: boolean): Promise<unknown>;
  /** The server refused a report because this session was ended (another device took over). */
  onSessionEnded(): void;
  now?: () => number;
}

export class ProgressReporter {
  private readonly tracker = new WatchedIntervals();
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Ranges of reports that failed for a passing reason, sent again with the next one. */
  private unsent: WatchedRange[] = [];
  private lastSeekReport = 0;
  private stopped = false;
  private readonly detachers: (() => void)[] = [];

  constructor(private readonly options: ProgressReporterOptions) {
    this.now = options.now ?? Date.now;
  }

  attach(): () => void {
    const { media } = this.options;
    const on = (target: EventTarget, type: string, listener: () => void) => {
      target.addEventListener(type, listener);
      this.detachers.push(() => target.removeEventListener(type, listener));
    };
    on(media, 'playing', () => {
      this.tracker.play(media.currentTime, this.now());
      this.startTicking();
    });
    on(media, 'timeupdate', () => {
      if (!media.paused && !media.seeking) this.tracker.update(media.currentTime, this.now(), media.playbackRate);
    });
    on(media, 'waiting', () => this.tracker.stop(media.currentTime, this.now(), media.playbackRate));
    on(media, 'seeking', () => this.tracker.seek(media.currentTime, this.now(), !media.paused));
    on(media, 'seeked', () => {
      if (this.now() - this.lastSeekReport < SEEK_REPORT_GAP_MS) return;
      this.lastSeekReport = this.now();
      this.report('seek');
    });
    on(media, 'pause', () => {
      this.tracker.stop(media.currentTime, this.now(), media.playbackRate);
      this.stopTicking();
      // A pause at the very end comes with `ended`, which reports for both.
      if (!media.ended) this.report('pause');
    });
    on(media, 'ended', () => {
      this.tracker.stop(media.currentTime, this.now(), media.playbackRate);
      this.stopTicking();
      this.report('ended');
    });
    on(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.report('hidden', true);
    });
    on(window, 'pagehide', () => this.report('hidden', true));
    return () => this.detach();
  }

  /** Sends what is pending (a lesson page being left inside the app) and stops listening. */
  detach(): void {
    if (this.stopped) return;
    const { media } = this.options;
    this.tracker.stop(media.currentTime, this.now(), media.playbackRate);
    this.report('hidden', true);
    this.stop();
  }

  /** Stops without a last report (the session was ended elsewhere). */
  stop(): void {
    this.stopped = true;
    this.stopTicking();
    for (const detach of this.detachers.splice(0)) detach();
  }

  private startTicking(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      const { media } = this.options;
      if (!media.paused) {
        this.tracker.update(media.currentTime, this.now(), media.playbackRate);
        this.report('tick');
      }
    }, TICK_MS);
  }

  private stopTicking(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private report(event: ProgressEvent, keepalive = false): void {
    if (this.stopped) return;
    const sessionId = this.options.sessionId();
    if (!sessionId) return;
    const { media } = this.options;
    const duration = this.options.durationSeconds ?? (Number.isFinite(media.duration) ? media.duration : 0);
    if (!duration) return;
    const watched = clampRanges(mergeRanges([...this.unsent, ...this.tracker.drain()]), duration);
    this.unsent = [];
    const report: ProgressReport = {
      sessionId,
      positionSeconds: Math.round(Math.min(duration, Math.max(0, media.currentTime)) * 1000) / 1000,
      watched,
      playbackRate: clampRate(media.playbackRate),
      event,
    };
    const send = async () => {
      try {
        await this.options.send(report, keepalive);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'playback_session_ended') {
          this.stop();
          this.options.onSessionEnded();
        } else if (!(error instanceof ApiError) || error.status >= 500 || error.status === 429) {
          // Offline or a server hiccup: these seconds were watched; the next report carries them.
          this.unsent = mergeRanges([...watched, ...this.unsent]);
        }
        // Other 4xx (e.g. 422 progress_invalid): the server will not take these; drop them.
      }
    };
    // A page going away cannot wait for earlier reports; keepalive lets this one outlive it.
    if (keepalive) void send();
    else this.queue = this.queue.then(send);
  }
}

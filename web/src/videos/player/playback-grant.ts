/**
 * Keeps a lesson's playback grant fresh (framework-free). A grant's URLs carry a signed token in
 * their path (`/media/p/<token>/videos/<id>/…`) that expires; the keeper renews it at the grant's
 * `renewAt`, and the player rewrites the token of every media request to the newest one, so a
 * segment fetched an hour into a lecture never carries the token the lecture started with.
 */
import type { PlaybackGrant } from './api';

const TOKEN_SEGMENT = /\/media\/p\/([^/?#]+)\/videos\//;
/** A request this close to the token's expiry waits for the renewal instead of racing it. */
const EXPIRY_MARGIN_MS = 5_000;
/** A renewal that failed for a passing reason (network) is tried again this soon. */
const RETRY_MS = 3_000;

/** The token segment of a signed media URL, or null when the URL carries none. */
export function playbackTokenOf(url: string): string | null {
  return TOKEN_SEGMENT.exec(url)?.[1] ?? null;
}

/** `url` with its token segment replaced by `token`; URLs without one are returned unchanged. */
export function withPlaybackToken(url: string, token: string): string {
  return url.replace(TOKEN_SEGMENT, `/media/p/${token}/videos/`);
}

/** Why renewing stopped for good: another device took over, access is gone, or it kept failing. */
export type GrantTrouble = 'session_ended' | 'forbidden' | 'failed';

export interface GrantKeeperDeps {
  /** Asks the API for a grant: a renewal of `sessionId`, or a new session when it is null. */
  request(sessionId: string | null): Promise<PlaybackGrant>;
  /** Sorts a failed request into a final trouble, or null when trying again may help. */
  classify(error: unknown): GrantTrouble | null;
  onRenewed(grant: PlaybackGrant): void;
  onTrouble(trouble: GrantTrouble): void;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export class PlaybackGrantKeeper {
  private current: PlaybackGrant;
  private timer: unknown = null;
  private renewing: Promise<PlaybackGrant | null> | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(
    grant: PlaybackGrant,
    private readonly deps: GrantKeeperDeps,
  ) {
    this.current = grant;
    this.now = deps.now ?? Date.now;
    this.setTimer = deps.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = deps.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  /** Schedules renewals (again, after `stop`: a remounted player keeps its keeper). */
  start(): this {
    this.stopped = false;
    this.schedule(Date.parse(this.current.renewAt) - this.now());
    return this;
  }

  get grant(): PlaybackGrant {
    return this.current;
  }

  /** The newest token (of the grant's HLS URL). */
  get token(): string | null {
    return playbackTokenOf(this.current.hlsUrl);
  }

  get expired(): boolean {
    return this.now() >= Date.parse(this.current.expiresAt);
  }

  /**
   * A token good for a request made now. Past `renewAt` a renewal starts; only a token about to
   * expire (a tab that slept past it) makes the caller wait for the renewal.
   */
  async freshToken(): Promise<string | null> {
    const now = this.now();
    if (now >= Date.parse(this.current.renewAt)) {
      const renewal = this.renew();
      if (now >= Date.parse(this.current.expiresAt) - EXPIRY_MARGIN_MS) await renewal;
    }
    return this.token;
  }

  /** Renews now (deduplicated: concurrent callers share one request). Null when it failed. */
  renew(): Promise<PlaybackGrant | null> {
    if (this.stopped) return Promise.resolve(null);
    this.renewing ??= (async () => {
      try {
        const grant = await this.deps.request(this.current.sessionId);
        if (this.stopped) return null;
        this.current = grant;
        this.schedule(Date.parse(grant.renewAt) - this.now());
        this.deps.onRenewed(grant);
        return grant;
      } catch (error) {
        if (this.stopped) return null;
        const trouble = this.deps.classify(error);
        if (trouble) {
          this.stop();
          this.deps.onTrouble(trouble);
        } else if (this.now() >= Date.parse(this.current.expiresAt) + 60_000) {
          // A minute past expiry with no renewal: every request would fail; say so.
          this.stop();
          this.deps.onTrouble('failed');
        } else {
          this.schedule(RETRY_MS);
        }
        return null;
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(
      () => {
        this.timer = null;
        void this.renew();
      },
      Math.max(0, delayMs),
    );
  }
}

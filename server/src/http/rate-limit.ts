import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import { MemoryCache } from '../platform/cache/memory.js';
import type { CachePort, RateLimitHit } from '../platform/cache/port.js';

export interface RateLimitLog {
  warn(details: object, message: string): void;
}

/** How long hits counted in a process wait, at most, before they are added to the shared count. */
export const RATE_LIMIT_SETTLE_MS = 100;

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * @fastify/rate-limit stores over the cache port, so limits hold across API instances. When the
 * cache fails the count moves to this instance's memory: limits loosen to per-instance instead of
 * vanishing, and nobody is locked out because Redis blinked.
 *
 * The global limit (every route without its own) counts in memory while a client is far from it
 * (see `SettlingCounter`); routes with their own, stricter limits (sign-in, sign-up, password
 * reset: the ones that guard against guessing) ask the shared count on every request.
 */
export function cacheRateLimitStore(
  cache: CachePort,
  log: RateLimitLog,
  options: { settleMs?: number } = {},
): new (options: FastifyRateLimitOptions) => FastifyRateLimitStore {
  const fallback = new MemoryCache();
  const global = new SettlingCounter(cache, log, options.settleMs ?? RATE_LIMIT_SETTLE_MS);

  const answer = (promise: Promise<RateLimitHit>, callback: IncrCallback) =>
    promise.then(
      (hit) => callback(null, { current: hit.count, ttl: hit.resetInMs }),
      (error: unknown) => callback(error as Error),
    );

  class ExactStore implements FastifyRateLimitStore {
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly scope: string,
    ) {}

    incr(key: string, callback: IncrCallback, timeWindow: number, _max: number): void {
      const scopedKey = `ratelimit:${this.scope}:${key}`;
      const hit = cache.hit(scopedKey, timeWindow).catch((error: unknown) => {
        log.warn({ err: error }, 'rate-limit store unavailable; counting in this instance');
        return fallback.hit(scopedKey, timeWindow);
      });
      void answer(hit, callback);
    }

    child(routeOptions: { method?: string | string[]; url?: string; path?: string }): FastifyRateLimitStore {
      const method = Array.isArray(routeOptions.method) ? routeOptions.method.join(',') : (routeOptions.method ?? '');
      return new ExactStore({}, `${method}:${routeOptions.url ?? routeOptions.path ?? ''}`);
    }
  }

  class GlobalStore extends ExactStore {
    constructor(options: FastifyRateLimitOptions) {
      super(options, 'global');
    }

    override incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void {
      const counted = global.hit(`ratelimit:global:${key}`, timeWindow, max);
      if ('then' in counted) void answer(counted, callback);
      else callback(null, { current: counted.count, ttl: counted.resetInMs });
    }
  }
  return GlobalStore;
}

interface Window {
  key: string;
  windowMs: number;
  resetAt: number;
  /** The shared count as last heard from the cache (this process's settled hits included). */
  shared: number;
  /** Sent to the cache, answer not back yet. */
  inFlight: number;
  /** Counted here, not sent yet. */
  pending: number;
}

/**
 * A fixed-window count kept in the shared cache and settled in batches.
 *
 * Asking Redis on every request cost each request a round trip and a share of Redis's CPU on the
 * same cores (about an eighth of a cached page's CPU time in the profiles of docs/benchmarks.md),
 * for a limit almost no client comes near. So while a key's count, as this process knows it, is
 * under half its limit, a hit is counted in memory and answered at once; the hits are added to the
 * shared count every `settleMs`. From half the limit on, every hit is added to the shared count,
 * together with the ones still waiting, and answered with it: a client near the limit meets it
 * exactly as with one shared counter. What this gives up: hits another process counted in the
 * last `settleMs`, under half the limit, are unknown here; a burst of more than half the limit
 * within 100 ms, spread over several processes, can pass it by that much for that moment.
 */
export class SettlingCounter {
  /** In order of creation, which is the order windows end in (one window length per store). */
  private readonly windows = new Map<string, Window>();
  private readonly unsent = new Set<Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cache: Pick<CachePort, 'hit'>,
    private readonly log: RateLimitLog,
    private readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A plain answer when counted in memory (no promise on the hot path); a promise when settled. */
  hit(key: string, windowMs: number, max: number): RateLimitHit | Promise<RateLimitHit> {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.delete(key);
      window = { key, windowMs, resetAt: now + windowMs, shared: 0, inFlight: 0, pending: 0 };
      this.windows.set(key, window);
    }
    window.pending++;
    const known = window.shared + window.inFlight + window.pending;
    if (known * 2 < max) {
      this.unsent.add(window);
      this.timer ??= setTimeout(() => this.settleAll(), this.settleMs).unref();
      return { count: known, resetInMs: window.resetAt - now };
    }
    return this.settle(window);
  }

  /** Sends what every window counted since the last settling; forgets windows that have ended. */
  private settleAll(): void {
    this.timer = undefined;
    for (const window of this.unsent) void this.settle(window);
    this.unsent.clear();
    const now = this.now();
    for (const window of this.windows.values()) {
      if (window.resetAt > now) break;
      if (window.inFlight === 0 && window.pending === 0) this.windows.delete(window.key);
    }
  }

  private async settle(window: Window): Promise<RateLimitHit> {
    const hits = window.pending;
    window.pending = 0;
    window.inFlight += hits;
    this.unsent.delete(window);
    try {
      // Answers come back in the order sent (one connection), so each carries every earlier batch.
      const hit = await this.cache.hit(window.key, window.windowMs, hits);
      window.shared = hit.count;
      window.resetAt = this.now() + hit.resetInMs;
      return hit;
    } catch (error) {
      this.log.warn({ err: error }, 'rate-limit store unavailable; counting in this instance');
      window.shared += hits;
      return { count: window.shared + window.inFlight - hits, resetInMs: Math.max(0, window.resetAt - this.now()) };
    } finally {
      window.inFlight -= hits;
    }
  }
}

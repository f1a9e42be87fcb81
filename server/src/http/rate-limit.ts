import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import { MemoryCache } from '../platform/cache/memory.js';
import type { CachePort } from '../platform/cache/port.js';

export interface RateLimitLog {
  warn(details: object, message: string): void;
}

/**
 * A @fastify/rate-limit store over the cache port, so limits hold across API instances. When the
 * cache fails the count moves to this instance's memory: limits loosen to per-instance instead of
 * vanishing, and nobody is locked out because Redis blinked.
 */
export function cacheRateLimitStore(
  cache: CachePort,
  log: RateLimitLog,
): new (options: FastifyRateLimitOptions) => FastifyRateLimitStore {
  const fallback = new MemoryCache();

  class CacheRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly scope = 'global',
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const scopedKey = `ratelimit:${this.scope}:${key}`;
      cache
        .hit(scopedKey, timeWindow)
        .catch((error: unknown) => {
          log.warn({ err: error }, 'rate-limit store unavailable; counting in this instance');
          return fallback.hit(scopedKey, timeWindow);
        })
        .then(
          (hit) => callback(null, { current: hit.count, ttl: hit.resetInMs }),
          (error: unknown) => callback(error as Error),
        );
    }

    child(routeOptions: { method?: string | string[]; url?: string; path?: string }): FastifyRateLimitStore {
      const method = Array.isArray(routeOptions.method) ? routeOptions.method.join(',') : (routeOptions.method ?? '');
      return new CacheRateLimitStore({}, `${method}:${routeOptions.url ?? routeOptions.path ?? ''}`);
    }
  }
  return CacheRateLimitStore;
}

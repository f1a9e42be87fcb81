import { MemoryCache } from './memory.js';
import type { CachePort, RateLimitHit } from './port.js';
import type { CacheFailureLog } from './cached.js';

/**
 * Counters and short-lived flags (log-in failures, lock-outs) over the shared cache, so they hold
 * across API instances. When the cache errors they move to this instance's memory: limits loosen
 * to per-instance instead of vanishing, and nobody is locked out because Redis blinked.
 */
export class ResilientCounters {
  private readonly fallback = new MemoryCache();

  constructor(
    private readonly cache: CachePort,
    private readonly log?: CacheFailureLog,
  ) {}

  private async attempt<T>(what: string, run: (cache: CachePort) => Promise<T>): Promise<T> {
    try {
      return await run(this.cache);
    } catch (error) {
      this.log?.warn({ err: error, what }, 'cache unavailable; counting in this instance');
      return run(this.fallback);
    }
  }

  hit(key: string, windowMs: number, hits = 1): Promise<RateLimitHit> {
    return this.attempt('hit', (c) => c.hit(key, windowMs, hits));
  }

  increment(key: string, ttlSeconds: number): Promise<number> {
    return this.attempt('increment', (c) => c.increment(key, 1, ttlSeconds));
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.attempt('get', (c) => c.get<T>(key));
  }

  set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.attempt('set', (c) => c.set(key, value, ttlSeconds));
  }

  async delete(...keys: string[]): Promise<void> {
    // Both places: a value counted in memory while the cache was down must not outlive it.
    await this.fallback.delete(...keys);
    await this.attempt('delete', (c) => c.delete(...keys));
  }
}

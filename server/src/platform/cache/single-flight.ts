import { cached, type CacheFailureLog } from './cached.js';
import type { CachePort } from './port.js';

/**
 * Collapses concurrent calls for one key into one: while a call for `key` is running, later callers
 * get the same promise instead of starting their own. In-process only; across instances each
 * process still makes at most one call per key at a time.
 */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return current as Promise<T>;
    const started = (async () => {
      try {
        return await work();
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, started);
    return started;
  }

  /** How many keys have a call running; for tests and metrics. */
  get size(): number {
    return this.running.size;
  }
}

/**
 * Read-through caching where a burst of misses on one key (a popular page just invalidated, or a
 * cold start) costs the source one load, not one per request. Keeps `cached()`'s rule: a cache
 * failure is logged and the value served from the source.
 */
export class CacheLoader {
  private readonly flights = new SingleFlight();

  constructor(
    private readonly cache: CachePort,
    private readonly log?: CacheFailureLog,
  ) {}

  get<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    return this.flights.run(key, () => cached(this.cache, key, ttlSeconds, load, this.log));
  }
}

import type { CachePort, RateLimitHit } from './port.js';

/** Where failed cache operations are counted (the metrics registry). */
export interface CacheErrorCounter {
  cacheError(operation: string): void;
}

/** The operations counted, so each series can start at zero. */
export const CACHE_OPERATIONS = [
  'get',
  'getMany',
  'set',
  'setIfAbsent',
  'delete',
  'deleteByPrefix',
  'increment',
  'hashSet',
  'hashGetAll',
  'hashGetAllMany',
  'hashIncrement',
  'hashDelete',
  'renameIfAbsent',
  'setAdd',
  'setPop',
  'hit',
] as const;

/**
 * Counts every cache call that fails, whichever caller catches it. Callers fall back to the
 * database or to memory and stay quiet apart from a warning, so without this count a Redis outage
 * shows only as slower pages. Health pings are left out: a failing ping is the health check's news.
 */
export class MeasuredCache implements CachePort {
  readonly backend: CachePort['backend'];

  constructor(
    private readonly inner: CachePort,
    private readonly errors: CacheErrorCounter,
  ) {
    this.backend = inner.backend;
  }

  private async count<T>(operation: (typeof CACHE_OPERATIONS)[number], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.errors.cacheError(operation);
      throw error;
    }
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.count('get', () => this.inner.get<T>(key));
  }
  getMany(keys: readonly string[]): Promise<unknown[]> {
    return this.count('getMany', () => this.inner.getMany(keys));
  }
  set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.count('set', () => this.inner.set(key, value, ttlSeconds));
  }
  setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    return this.count('setIfAbsent', () => this.inner.setIfAbsent(key, value, ttlSeconds));
  }
  delete(...keys: string[]): Promise<void> {
    return this.count('delete', () => this.inner.delete(...keys));
  }
  deleteByPrefix(prefix: string): Promise<number> {
    return this.count('deleteByPrefix', () => this.inner.deleteByPrefix(prefix));
  }
  increment(key: string, by?: number, ttlSeconds?: number): Promise<number> {
    return this.count('increment', () => this.inner.increment(key, by, ttlSeconds));
  }
  hashSet(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void> {
    return this.count('hashSet', () => this.inner.hashSet(key, fields, ttlSeconds));
  }
  hashGetAll(key: string): Promise<Record<string, string>> {
    return this.count('hashGetAll', () => this.inner.hashGetAll(key));
  }
  hashGetAllMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    return this.count('hashGetAllMany', () => this.inner.hashGetAllMany(keys));
  }
  hashIncrement(key: string, field: string, by: number): Promise<number> {
    return this.count('hashIncrement', () => this.inner.hashIncrement(key, field, by));
  }
  hashDelete(key: string, ...fields: string[]): Promise<void> {
    return this.count('hashDelete', () => this.inner.hashDelete(key, ...fields));
  }
  renameIfAbsent(from: string, to: string): Promise<boolean> {
    return this.count('renameIfAbsent', () => this.inner.renameIfAbsent(from, to));
  }
  setAdd(key: string, ...members: string[]): Promise<void> {
    return this.count('setAdd', () => this.inner.setAdd(key, ...members));
  }
  setPop(key: string, count: number): Promise<string[]> {
    return this.count('setPop', () => this.inner.setPop(key, count));
  }
  hit(key: string, windowMs: number, hits = 1): Promise<RateLimitHit> {
    return this.count('hit', () => this.inner.hit(key, windowMs, hits));
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  resetInMs: number;
}

/**
 * Values are JSON. Keys are namespaced by the adapter, so callers use short keys like
 * `course:list:page:1`.
 */
export interface CachePort {
  readonly backend: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Several keys in one exchange with the cache (one MGET on Redis), in the order of `keys`:
   * undefined for each missing one. For a request that needs a few small values at once.
   */
  getMany(keys: readonly string[]): Promise<unknown[]>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /**
   * Stores the value only when the key is absent (Redis SET NX); true when it was stored. Without a
   * TTL the key lives until deleted. For once-per-window markers and locks.
   */
  setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  /** Deletes every given key in one atomic step: no reader sees some gone and others still there. */
  delete(...keys: string[]): Promise<void>;
  /** Deletes every key starting with the prefix; returns how many were removed. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Adds to a counter, creating it at 0; the TTL is set when the counter is created. */
  increment(key: string, by?: number, ttlSeconds?: number): Promise<number>;
  hashSet(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void>;
  hashGetAll(key: string): Promise<Record<string, string>>;
  /**
   * Every field of each hash, in the order of `keys` ({} for a missing one), in one exchange with
   * the cache (one pipeline on Redis) instead of a promise and a reply callback per key.
   */
  hashGetAllMany(keys: readonly string[]): Promise<Record<string, string>[]>;
  hashIncrement(key: string, field: string, by: number): Promise<number>;
  hashDelete(key: string, ...fields: string[]): Promise<void>;
  /**
   * Atomically moves `from` (value and TTL) to `to` unless `to` already exists; false when nothing
   * moved (`from` missing or `to` taken). Lets a flusher take a live hash out of the writers' way
   * without losing an increment that lands in between.
   */
  renameIfAbsent(from: string, to: string): Promise<boolean>;
  setAdd(key: string, ...members: string[]): Promise<void>;
  /** Removes and returns up to `count` members. */
  setPop(key: string, count: number): Promise<string[]>;
  /**
   * A fixed-window hit counter for rate limits, shared by every instance using this cache. `hits`
   * (default 1) lets a caller that counted several in memory settle them in one call.
   */
  hit(key: string, windowMs: number, hits?: number): Promise<RateLimitHit>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

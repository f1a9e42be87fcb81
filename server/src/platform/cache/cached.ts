import type { CachePort } from './port.js';

export interface CacheFailureLog {
  warn(details: object, message: string): void;
}

/**
 * Read-through caching that never lets the cache take the page down: when the cache errors the
 * value is loaded from the source of truth and the failure is only logged.
 */
export async function cached<T>(
  cache: CachePort,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
  log?: CacheFailureLog,
): Promise<T> {
  try {
    const hit = await cache.get<T>(key);
    if (hit !== undefined) return hit;
  } catch (error) {
    log?.warn({ err: error, key }, 'cache read failed; serving from the source');
    return load();
  }
  return fill(cache, { key, ttlSeconds, load }, log);
}

/** One value of `cachedMany`: where it is kept, for how long, and how it is loaded on a miss. */
export interface CachedEntry<T> {
  key: string;
  ttlSeconds: number;
  load: () => Promise<T>;
}

/**
 * `cached` for several keys that one request needs together: all of them in one read of the cache
 * (one round trip instead of one command each); each miss is loaded and stored on its own.
 */
export async function cachedMany<T extends readonly unknown[]>(
  cache: CachePort,
  entries: { readonly [K in keyof T]: CachedEntry<T[K]> },
  log?: CacheFailureLog,
): Promise<T> {
  const list = entries as readonly CachedEntry<unknown>[];
  let hits: unknown[];
  try {
    hits = await cache.getMany(list.map((entry) => entry.key));
  } catch (error) {
    log?.warn({ err: error, keys: list.map((entry) => entry.key) }, 'cache read failed; serving from the source');
    return (await Promise.all(list.map((entry) => entry.load()))) as unknown as T;
  }
  const values = list.map((entry, i) => (hits[i] !== undefined ? hits[i] : fill(cache, entry, log)));
  return (await Promise.all(values)) as unknown as T;
}

async function fill<T>(cache: CachePort, entry: CachedEntry<T>, log?: CacheFailureLog): Promise<T> {
  const value = await entry.load();
  try {
    await cache.set(entry.key, value, entry.ttlSeconds);
  } catch (error) {
    log?.warn({ err: error, key: entry.key }, 'cache write failed');
  }
  return value;
}

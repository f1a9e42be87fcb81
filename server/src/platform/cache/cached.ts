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
  const value = await load();
  try {
    await cache.set(key, value, ttlSeconds);
  } catch (error) {
    log?.warn({ err: error, key }, 'cache write failed');
  }
  return value;
}

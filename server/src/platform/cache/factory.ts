import type { Config } from '../../config.js';
import { MemoryCache } from './memory.js';
import { NearCache, type NearCacheOptions } from './near.js';
import type { CachePort } from './port.js';
import { RedisInvalidationBus } from './redis-bus.js';
import { RedisCache } from './redis.js';

/**
 * Keys worth a copy in each process: read on every catalog page or heartbeat, written rarely.
 * `catalog:` holds the catalog's pages and their generation tokens (renewing a token is a `set`, so
 * it reaches every process through the bus); `progress:lesson:` the lesson facts a heartbeat reads.
 */
export const NEAR_PREFIXES = ['catalog:', 'progress:lesson:'] as const;

/**
 * The catalog's pages are written once: each key ends in its family's generation
 * (modules/catalog/invalidation.ts), and a change renews the generation instead of rewriting the
 * page. Only the generation tokens (`catalog:gen:`) and the lesson facts are rewritten in place.
 */
export const nearWriteOnce = (key: string): boolean => key.startsWith('catalog:') && !key.startsWith('catalog:gen:');

/**
 * Short: with the bus, only a lost message can leave a copy stale, and then for at most this long;
 * long enough that a page read a thousand times a second is fetched from Redis once in a while.
 * Small: a copy only pays for itself on a key read several times within the TTL (the hot lists and
 * lesson facts, a few hundred keys), and the objects take three to four times their JSON size on
 * the heap (plus the memoised answer), so a budget of 32 MiB of JSON held over 100 MB per process
 * after a crawl over every course page (docs/benchmarks.md, "API process memory").
 */
export const NEAR_LIMITS = { ttlMs: 5_000, maxEntries: 2_000, maxBytes: 8 * 1024 * 1024 } as const;

type NearOptions = Pick<NearCacheOptions, 'log'>;

/** The one place that picks the cache backend; hot keys get an in-process copy in front of it. */
export async function createCache(config: Config['cache'], options: NearOptions = {}): Promise<CachePort> {
  const near = {
    prefixes: NEAR_PREFIXES,
    writeOnce: nearWriteOnce,
    admitOnSecondRead: true,
    ...NEAR_LIMITS,
    log: options.log,
  };
  if (config.backend === 'redis') {
    const namespace = `${config.prefix}:`;
    const shared = await RedisCache.open({ url: config.url, namespace });
    return NearCache.open(shared, { ...near, bus: new RedisInvalidationBus(config.url, namespace) });
  }
  // One process holds the whole embedded cache: no bus; the copy saves the JSON round trip.
  return NearCache.open(new MemoryCache(), near);
}

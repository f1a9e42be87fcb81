import type { Config } from '../../config.js';
import { MemoryCache } from './memory.js';
import type { CachePort } from './port.js';
import { RedisCache } from './redis.js';

/** The one place that picks the cache backend. */
export async function createCache(config: Config['cache']): Promise<CachePort> {
  if (config.backend === 'redis') return RedisCache.open({ url: config.url, namespace: `${config.prefix}:` });
  return new MemoryCache();
}

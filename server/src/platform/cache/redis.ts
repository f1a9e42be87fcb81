import { Redis } from 'ioredis';
import { traceRedisCommands } from '../telemetry/tracing.js';
import { coalesceWrites } from './coalesce-writes.js';
import type { CachePort, RateLimitHit } from './port.js';

export interface RedisCacheOptions {
  url: string;
  /** Every key gets this prefix, so several deployments (or test runs) can share one Redis. */
  namespace?: string;
}

/** HGETALL of every key, in order: one reply of flat field/value arrays ({} is an empty array). */
const HGETALL_MANY = "local out = {} for i, key in ipairs(KEYS) do out[i] = redis.call('hgetall', key) end return out";
/** Keeps each script call short: Redis runs a script to the end before serving anyone else. */
const HASHES_PER_SCRIPT = 1_000;

/**
 * Redis behind the cache port. While Redis is unreachable every call fails at once (no offline
 * queue) so callers can fall back to the database instead of waiting; ioredis keeps reconnecting
 * in the background and calls work again as soon as Redis is back, with no restart.
 */
export class RedisCache implements CachePort {
  readonly backend = 'redis' as const;
  private readonly redis: Redis;
  private readonly namespace: string;

  constructor(options: RedisCacheOptions) {
    this.namespace = options.namespace ?? 'lectio:';
    this.redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      lazyConnect: false,
    });
    // Without a listener ioredis reports every failed reconnect as an unhandled error event.
    this.redis.on('error', () => undefined);
    // Beneath the tracing wrapper, so a traced command is still sent from its caller's context.
    coalesceWrites(this.redis);
    traceRedisCommands(this.redis, { 'lectio.redis.client': 'cache' });
  }

  /**
   * Connects and waits briefly for Redis. Start-up goes on when Redis is down (the platform runs
   * degraded on the database), so a failed first connection is not an error here.
   */
  static async open(options: RedisCacheOptions, waitMs = 2_000): Promise<RedisCache> {
    const cache = new RedisCache(options);
    await cache.waitUntilReady(waitMs);
    return cache;
  }

  async waitUntilReady(waitMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), waitMs);
      const onReady = () => done(true);
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ready);
      };
      this.redis.once('ready', onReady);
    });
  }

  private k(key: string): string {
    return this.namespace + key;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.k(key));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async getMany(keys: readonly string[]): Promise<unknown[]> {
    if (keys.length === 0) return [];
    const raw = await this.redis.mget(keys.map((key) => this.k(key)));
    return raw.map((value) => (value === null ? undefined : (JSON.parse(value) as unknown)));
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    const full = this.k(key);
    const json = JSON.stringify(value);
    const stored =
      ttlSeconds === undefined
        ? await this.redis.set(full, json, 'NX')
        : await this.redis.set(full, json, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)), 'NX');
    return stored === 'OK';
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.unlink(...keys.map((key) => this.k(key)));
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    // SCAN, not KEYS: KEYS blocks Redis for every client while it walks the whole keyspace.
    const pattern = this.k(prefix).replace(/[*?[\]\\]/g, '\\$&') + '*';
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) removed += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    const full = this.k(key);
    const [[, value]] = (await this.redis.multi().incrby(full, by).exec()) as [[Error | null, number]];
    if (ttlSeconds !== undefined && value === by) await this.redis.pexpire(full, Math.round(ttlSeconds * 1000), 'NX');
    return value;
  }

  async hashSet(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void> {
    const full = this.k(key);
    // HSET alone is atomic; a transaction is only needed to set the TTL with it (hot path: progress).
    if (ttlSeconds === undefined) {
      await this.redis.hset(full, fields);
      return;
    }
    const tx = this.redis.multi().hset(full, fields);
    if (ttlSeconds !== undefined) tx.pexpire(full, Math.round(ttlSeconds * 1000));
    await tx.exec();
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.k(key));
  }

  /**
   * One script call per thousand keys, not a pipeline of HGETALLs: a command each cost the client
   * its own command object, promise and reply conversion, which made the progress flush's reads a
   * third of its CPU. The script runs the same HGETALLs inside Redis and answers them in one reply.
   */
  async hashGetAllMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    const out: Record<string, string>[] = [];
    for (let from = 0; from < keys.length; from += HASHES_PER_SCRIPT) {
      const chunk = keys.slice(from, from + HASHES_PER_SCRIPT).map((key) => this.k(key));
      const replies = (await this.redis.eval(HGETALL_MANY, chunk.length, ...chunk)) as string[][];
      for (const flat of replies) out.push(hashOf(flat));
    }
    return out;
  }

  async hashIncrement(key: string, field: string, by: number): Promise<number> {
    return this.redis.hincrby(this.k(key), field, by);
  }

  async hashDelete(key: string, ...fields: string[]): Promise<void> {
    if (fields.length) await this.redis.hdel(this.k(key), ...fields);
  }

  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    // RENAMENX alone errors on a missing source; the script makes "nothing to move" a plain false.
    const moved = await this.redis.eval(
      "if redis.call('exists', KEYS[1]) == 0 then return 0 end return redis.call('renamenx', KEYS[1], KEYS[2])",
      2,
      this.k(from),
      this.k(to),
    );
    return moved === 1;
  }

  async setAdd(key: string, ...members: string[]): Promise<void> {
    if (members.length) await this.redis.sadd(this.k(key), ...members);
  }

  async setPop(key: string, count: number): Promise<string[]> {
    return this.redis.spop(this.k(key), count);
  }

  async hit(key: string, windowMs: number, hits = 1): Promise<RateLimitHit> {
    const full = this.k(key);
    // One round trip, atomic: the first hit of a window starts its expiry.
    const result = (await this.redis.multi().incrby(full, hits).pexpire(full, windowMs, 'NX').pttl(full).exec()) as [
      [Error | null, number],
      [Error | null, number],
      [Error | null, number],
    ];
    const count = result[0][1];
    const ttl = result[2][1];
    return { count, resetInMs: ttl > 0 ? ttl : windowMs };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** A hash from HGETALL's flat reply; a field named `__proto__` stays a field (as ioredis does). */
function hashOf(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field === '__proto__') Object.defineProperty(hash, field, { value, enumerable: true, writable: true });
    else hash[field] = value;
  }
  return hash;
}

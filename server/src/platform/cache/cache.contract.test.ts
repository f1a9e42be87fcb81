import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MemoryCache } from './memory.js';
import { NearCache } from './near.js';
import type { CachePort } from './port.js';
import { RedisInvalidationBus } from './redis-bus.js';
import { RedisCache } from './redis.js';

type MakeCache = () => Promise<CachePort>;

const nearEverything = { prefixes: [''], ttlMs: 5_000, maxEntries: 100, maxBytes: 1_000_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks written as functions so a deliberately broken adapter can be run through them too. */
export async function checkTtlExpiry(make: MakeCache): Promise<void> {
  const cache = await make();
  try {
    await cache.set('short', { v: 1 }, 0.3);
    await cache.set('long', { v: 2 }, 60);
    if ((await cache.get('short')) === undefined) throw new Error('value gone before its TTL');
    await sleep(450);
    if ((await cache.get('short')) !== undefined) throw new Error('value outlived its TTL');
    if ((await cache.get('long')) === undefined) throw new Error('long-lived value expired early');
  } finally {
    await cache.close();
  }
}

export async function checkRateLimitWindow(make: MakeCache): Promise<void> {
  const cache = await make();
  try {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push((await cache.hit('rl:ip', 300)).count);
    if (counts.join() !== '1,2,3') throw new Error(`hits counted ${counts.join()}`);
    // Several hits counted elsewhere, settled at once (the global limit's batches).
    const settled = await cache.hit('rl:ip', 300, 5);
    if (settled.count !== 8) throw new Error(`a batch of 5 after 3 hits counted ${settled.count}`);
    await sleep(400);
    const afterWindow = await cache.hit('rl:ip', 300);
    if (afterWindow.count !== 1) throw new Error(`window did not reset: ${afterWindow.count}`);
  } finally {
    await cache.close();
  }
}

const backends: [string, MakeCache][] = [
  ['memory', async () => new MemoryCache()],
  ['redis', () => RedisCache.open({ url: inject('redisUrl'), namespace: `test:${randomUUID()}:` })],
  // The in-process copy in front of either must not change what callers see: every key near.
  ['near over memory', async () => NearCache.open(new MemoryCache(), nearEverything)],
  [
    'near over redis',
    async () => {
      const namespace = `test:${randomUUID()}:`;
      const shared = await RedisCache.open({ url: inject('redisUrl'), namespace });
      return NearCache.open(shared, {
        ...nearEverything,
        bus: new RedisInvalidationBus(inject('redisUrl'), namespace),
      });
    },
  ],
];

describe.each(backends)('cache contract [%s]', (_name, make) => {
  let cache: CachePort;
  afterEach(async () => {
    await cache?.close();
  });

  it('stores JSON values and returns undefined for a missing key', async () => {
    cache = await make();
    await cache.set('course:1', { title: '한국어 강의', price: 1000, tags: ['a'] }, 60);
    expect(await cache.get('course:1')).toEqual({ title: '한국어 강의', price: 1000, tags: ['a'] });
    expect(await cache.get('course:missing')).toBeUndefined();
  });

  it('expires values after their TTL', () => checkTtlExpiry(make));

  it('reads several keys at once, in the order asked, a missing or expired one as undefined', async () => {
    cache = await make();
    await cache.set('k:a', { n: 1, title: '강의' }, 60);
    await cache.set('k:b', 'two', 60);
    await cache.set('k:short', 3, 0.2);
    expect(await cache.getMany(['k:short'])).toEqual([3]);
    await sleep(350);
    expect(await cache.getMany(['k:b', 'k:none', 'k:a', 'k:short'])).toEqual([
      'two',
      undefined,
      { n: 1, title: '강의' },
      undefined,
    ]);
    expect(await cache.getMany([])).toEqual([]);
    // A write after a read is what the next read sees (no stale copy in a near cache).
    await cache.set('k:b', 'three', 60);
    await cache.delete('k:a');
    expect(await cache.getMany(['k:a', 'k:b'])).toEqual([undefined, 'three']);
  });

  it('deletes by key and by prefix, leaving other keys', async () => {
    cache = await make();
    await cache.set('course:list:1', 1, 60);
    await cache.set('course:list:2', 2, 60);
    await cache.set('course:detail:1', 3, 60);
    await cache.set('course:list*odd', 4, 60);
    await cache.delete('course:detail:1');
    expect(await cache.get('course:detail:1')).toBeUndefined();
    expect(await cache.deleteByPrefix('course:list:')).toBe(2);
    expect(await cache.get('course:list:1')).toBeUndefined();
    // A glob character in a key must not widen the prefix match.
    expect(await cache.get('course:list*odd')).toBe(4);
  });

  it('counts with increment and keeps the TTL from the first increment', async () => {
    cache = await make();
    expect(await cache.increment('views', 1, 0.3)).toBe(1);
    expect(await cache.increment('views', 5, 60)).toBe(6);
    await sleep(450);
    expect(await cache.increment('views')).toBe(1);
  });

  it('keeps hashes: set, increment, read all, delete fields', async () => {
    cache = await make();
    await cache.hashSet('progress:u1', { 'lesson:1': '30', 'lesson:2': '10' }, 60);
    expect(await cache.hashIncrement('progress:u1', 'lesson:1', 10)).toBe(40);
    expect(await cache.hashGetAll('progress:u1')).toEqual({ 'lesson:1': '40', 'lesson:2': '10' });
    await cache.hashDelete('progress:u1', 'lesson:2');
    expect(await cache.hashGetAll('progress:u1')).toEqual({ 'lesson:1': '40' });
    expect(await cache.hashGetAll('progress:none')).toEqual({});
  });

  it('reads many hashes at once, in the order asked, a missing one as empty', async () => {
    cache = await make();
    await cache.hashSet('buf:a', { s1: 'x', db: 'y' }, 60);
    await cache.hashSet('buf:b', { s2: 'z' }, 60);
    expect(await cache.hashGetAllMany(['buf:b', 'buf:none', 'buf:a'])).toEqual([{ s2: 'z' }, {}, { s1: 'x', db: 'y' }]);
    expect(await cache.hashGetAllMany([])).toEqual([]);
    // More keys than one read of the Redis adapter takes (a thousand): still every one, in order.
    const many = Array.from({ length: 1_205 }, (_, i) => `buf:n${i}`);
    await Promise.all(many.filter((_, i) => i % 2 === 0).map((key, i) => cache.hashSet(key, { n: String(i * 2) }, 60)));
    const read = await cache.hashGetAllMany(many);
    expect(read).toHaveLength(1_205);
    expect(read.map((hash, i) => (i % 2 === 0 ? hash.n === String(i) : Object.keys(hash).length === 0))).not.toContain(
      false,
    );
    // What was written after a read is what the next read sees (no stale copy in a near cache).
    await cache.hashSet('buf:a', { s1: 'x2' });
    expect(await cache.hashGetAllMany(['buf:a'])).toEqual([{ s1: 'x2', db: 'y' }]);
  });

  it('keeps sets: add is idempotent and pop removes what it returns', async () => {
    cache = await make();
    await cache.setAdd('dirty', 'a', 'b', 'c', 'a');
    const first = await cache.setPop('dirty', 2);
    const rest = await cache.setPop('dirty', 10);
    expect(first).toHaveLength(2);
    expect([...first, ...rest].sort()).toEqual(['a', 'b', 'c']);
    expect(await cache.setPop('dirty', 10)).toEqual([]);
  });

  it('sets a value only when the key is absent, and again once its TTL has passed', async () => {
    cache = await make();
    expect(await cache.setIfAbsent('seen:c1:v1', 1, 0.3)).toBe(true);
    expect(await cache.setIfAbsent('seen:c1:v1', 2, 0.3)).toBe(false);
    expect(await cache.get('seen:c1:v1')).toBe(1);
    expect(await cache.setIfAbsent('lock', 'a')).toBe(true);
    await sleep(450);
    expect(await cache.setIfAbsent('seen:c1:v1', 3, 60)).toBe(true);
    expect(await cache.get('seen:c1:v1')).toBe(3);
    // Without a TTL the key stays until deleted.
    expect(await cache.setIfAbsent('lock', 'b')).toBe(false);
    await cache.delete('lock', 'seen:c1:v1');
    expect(await cache.get('lock')).toBeUndefined();
    expect(await cache.get('seen:c1:v1')).toBeUndefined();
  });

  it('renames a hash only onto a free key, leaving increments after the move to a new hash', async () => {
    cache = await make();
    await cache.hashIncrement('views:live', 'c1', 3);
    expect(await cache.renameIfAbsent('views:live', 'views:taken')).toBe(true);
    await cache.hashIncrement('views:live', 'c1', 1);
    expect(await cache.hashGetAll('views:taken')).toEqual({ c1: '3' });
    expect(await cache.hashGetAll('views:live')).toEqual({ c1: '1' });
    // The target exists: nothing moves, nothing is overwritten.
    expect(await cache.renameIfAbsent('views:live', 'views:taken')).toBe(false);
    expect(await cache.hashGetAll('views:taken')).toEqual({ c1: '3' });
    expect(await cache.renameIfAbsent('views:missing', 'views:elsewhere')).toBe(false);
    expect(await cache.hashGetAll('views:elsewhere')).toEqual({});
  });

  it('counts rate-limit hits per window and resets after it', () => checkRateLimitWindow(make));

  it('reports time left in the rate-limit window', async () => {
    cache = await make();
    const first = await cache.hit('rl:acct', 10_000);
    expect(first.resetInMs).toBeGreaterThan(9_000);
    expect(first.resetInMs).toBeLessThanOrEqual(10_000);
  });

  it('answers ping', async () => {
    cache = await make();
    await expect(cache.ping()).resolves.toBeUndefined();
  });
});

/** A cache that stores everything forever: what a TTL bug looks like. */
class TtlIgnoringCache extends MemoryCache {
  override async set(key: string, value: unknown): Promise<void> {
    return super.set(key, value, 1e9);
  }
  override async hit(key: string, _windowMs: number, hits = 1): Promise<{ count: number; resetInMs: number }> {
    return super.hit(key, 1e9, hits);
  }
}

describe('a broken cache adapter fails the contract', () => {
  it('an adapter ignoring TTLs fails the expiry and rate-limit checks', async () => {
    await expect(checkTtlExpiry(async () => new TtlIgnoringCache())).rejects.toThrow('outlived');
    await expect(checkRateLimitWindow(async () => new TtlIgnoringCache())).rejects.toThrow('did not reset');
  });
});

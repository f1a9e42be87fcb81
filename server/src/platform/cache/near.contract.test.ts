import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CatalogCache } from '../../modules/catalog/invalidation.js';
import { nearWriteOnce } from './factory.js';
import { MemoryCache } from './memory.js';
import { NearCache, type NearCacheOptions } from './near.js';
import type { CachePort } from './port.js';
import { RedisInvalidationBus } from './redis-bus.js';
import { RedisCache } from './redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const limits = { prefixes: ['hot:', 'catalog:'], ttlMs: 5_000, maxEntries: 100, maxBytes: 1_000_000 };

/** Counts the reads that reach the shared cache. */
class CountingCache extends MemoryCache {
  gets = 0;
  /** The keys of each getMany that reached it. */
  many: string[][] = [];
  override async get<T>(key: string): Promise<T | undefined> {
    this.gets++;
    return super.get<T>(key);
  }
  override async getMany(keys: readonly string[]): Promise<unknown[]> {
    this.many.push([...keys]);
    return super.getMany(keys);
  }
}

const open: CachePort[] = [];
async function near(inner: CachePort, options: Partial<NearCacheOptions> = {}): Promise<NearCache> {
  const cache = await NearCache.open(inner, { ...limits, ...options });
  open.push(cache);
  return cache;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** Two API processes on one Redis: each its own near copy, one bus channel between them. */
async function twoProcesses(options: Partial<NearCacheOptions> = {}): Promise<[NearCache, NearCache]> {
  const url = inject('redisUrl');
  const namespace = `test:${randomUUID()}:`;
  const make = async () =>
    near(await RedisCache.open({ url, namespace }), { bus: new RedisInvalidationBus(url, namespace), ...options });
  const pair: [NearCache, NearCache] = [await make(), await make()];
  await sleep(100); // both subscribed
  return pair;
}

async function eventually(check: () => Promise<boolean>, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('near cache', () => {
  it('answers a hot key from memory after the first read, and other keys from the shared cache', async () => {
    const inner = new CountingCache();
    const cache = await near(inner);
    await cache.set('hot:page:1', { items: [1, 2] }, 60);
    await cache.set('cold:x', 1, 60);
    for (let i = 0; i < 5; i++) {
      expect(await cache.get('hot:page:1')).toEqual({ items: [1, 2] });
      expect(await cache.get('cold:x')).toBe(1);
    }
    expect(inner.gets).toBe(5); // the cold key's reads only
    expect(cache.stats().hits).toBe(5);
  });

  it('reads several keys at once: hot copies from memory, everything else in one shared read', async () => {
    const inner = new CountingCache();
    const cache = await near(inner);
    await cache.set('hot:a', 1, 60); // written here: copied at once
    await inner.set('hot:b', 2, 60); // written by another process
    await inner.set('cold:c', 3, 60);
    expect(await cache.getMany(['hot:a', 'cold:c', 'hot:b', 'cold:none'])).toEqual([1, 3, 2, undefined]);
    expect(inner.many).toEqual([['cold:c', 'hot:b', 'cold:none']]);
    // hot:b was copied by that read; only the cold key goes to the shared cache now.
    expect(await cache.getMany(['hot:b', 'hot:a', 'cold:c'])).toEqual([2, 1, 3]);
    expect(inner.many).toEqual([['cold:c', 'hot:b', 'cold:none'], ['cold:c']]);
    expect(await cache.getMany(['hot:a', 'hot:b'])).toEqual([1, 2]);
    expect(inner.many).toHaveLength(2);
    expect(inner.gets).toBe(0);
  });

  it('does not keep a read of several keys that was overtaken by an invalidation', async () => {
    let release: () => void = () => undefined;
    class SlowCache extends MemoryCache {
      override async getMany(keys: readonly string[]): Promise<unknown[]> {
        const values = await super.getMany(keys);
        await new Promise<void>((r) => (release = r));
        return values;
      }
    }
    const inner = new SlowCache();
    await inner.set('hot:gen', 'old', 60);
    const cache = await near(inner);
    const reading = cache.getMany(['hot:gen']);
    await sleep(5);
    await cache.set('hot:gen', 'new', 60);
    release();
    expect(await reading).toEqual(['old']);
    expect(await cache.get('hot:gen')).toBe('new');
  });

  it('hands out frozen values, so a caller cannot change what the next request gets', async () => {
    const cache = await near(new MemoryCache());
    await cache.set('hot:page:1', { items: [{ title: 'a' }] }, 60);
    const value = (await cache.get<{ items: { title: string }[] }>('hot:page:1'))!;
    expect(() => {
      value.items[0]!.title = 'changed';
    }).toThrow(TypeError);
    expect(await cache.get('hot:page:1')).toEqual({ items: [{ title: 'a' }] });
  });

  it('keeps a copy no longer than its own TTL or the near TTL', async () => {
    let now = 1_000;
    const inner = new CountingCache();
    const cache = await near(inner, { ttlMs: 1_000, now: () => now });
    await inner.set('hot:a', 'first', 60);
    expect(await cache.get('hot:a')).toBe('first');
    await inner.set('hot:a', 'second', 60); // another process wrote, and no message came
    now += 999;
    expect(await cache.get('hot:a')).toBe('first');
    now += 2;
    expect(await cache.get('hot:a')).toBe('second');
  });

  it('lets go of expired copies without waiting for capacity, also while idle', async () => {
    let now = 1_000;
    const cache = await near(new MemoryCache(), { ttlMs: 50, now: () => now });
    for (let i = 0; i < 10; i++) await cache.set(`hot:${i}`, 'x'.repeat(100), 60);
    expect(cache.stats()).toMatchObject({ entries: 10, bytes: 1_020 });
    now += 51;
    // The next copy stored sweeps the expired ones from the front.
    await cache.set('hot:new', 1, 60);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 1 });
    // With no traffic at all, the timer does it.
    now += 51;
    await sleep(120);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('stays within its entry and byte bounds, dropping the oldest copies', async () => {
    const cache = await near(new MemoryCache(), { maxEntries: 3, maxBytes: 1_000 });
    for (let i = 0; i < 5; i++) await cache.set(`hot:${i}`, i, 60);
    expect(cache.stats().entries).toBe(3);
    await cache.set('hot:big', 'x'.repeat(90), 60);
    await cache.set('hot:big2', 'x'.repeat(90), 60);
    expect(cache.stats().bytes).toBeLessThanOrEqual(1_000);
    // A value over a tenth of the budget is not copied at all.
    await cache.set('hot:huge', 'x'.repeat(200), 60);
    expect(cache.stats().entries).toBeLessThanOrEqual(3);
    expect(await cache.get('hot:huge')).toBe('x'.repeat(200));
  });

  it('does not keep a read that was overtaken by an invalidation', async () => {
    let release: () => void = () => undefined;
    class SlowCache extends MemoryCache {
      override async get<T>(key: string): Promise<T | undefined> {
        const value = await super.get<T>(key);
        await new Promise<void>((r) => (release = r));
        return value;
      }
    }
    const inner = new SlowCache();
    await inner.set('hot:gen', 'old', 60);
    const cache = await near(inner);
    const reading = cache.get('hot:gen'); // on its way with 'old'
    await sleep(5);
    await cache.set('hot:gen', 'new', 60);
    release();
    expect(await reading).toBe('old');
    expect(await cache.get('hot:gen')).toBe('new');
  });

  it("drops another process's copy as soon as one process writes the key", async () => {
    const [a, b] = await twoProcesses();
    await a.set('hot:gen', 'g1', 60);
    expect(await b.get('hot:gen')).toBe('g1'); // b now holds a copy
    await a.set('hot:gen', 'g2', 60);
    await eventually(async () => (await b.get('hot:gen')) === 'g2', 1_000);
    await a.delete('hot:gen');
    await eventually(async () => (await b.get('hot:gen')) === undefined, 1_000);
  });

  it('announces no write of a key written once: the other process keeps its copy of it', async () => {
    const published: string[][] = [];
    const [a, b] = await twoProcesses({ writeOnce: (key) => key.startsWith('catalog:page:') });
    const bus = (a as unknown as { options: NearCacheOptions }).options.bus!;
    const publish = bus.publish.bind(bus);
    bus.publish = async (message) => {
      published.push(message.keys);
      return publish(message);
    };
    await a.set('catalog:page:1:g1', 'v1', 60);
    expect(await b.get('catalog:page:1:g1')).toBe('v1'); // b now holds a copy
    // Rewriting a key written once breaks the contract; it shows that no message went out.
    await a.set('catalog:page:1:g1', 'v2', 60);
    await sleep(200);
    expect(await b.get('catalog:page:1:g1')).toBe('v1');
    expect(await a.get('catalog:page:1:g1')).toBe('v2');
    // Any other near key is still announced.
    await a.set('catalog:gen:lists', 'g2', 60);
    expect(published).toEqual([['catalog:gen:lists']]);
  });

  it('announces no key it creates where there was none, and still every rewrite of it', async () => {
    const published: string[][] = [];
    const [a, b] = await twoProcesses({ writeOnce: nearWriteOnce });
    const bus = (a as unknown as { options: NearCacheOptions }).options.bus!;
    const publish = bus.publish.bind(bus);
    bus.publish = async (message) => {
      published.push(message.keys);
      return publish(message);
    };
    // A course page's first visit creates its generation.
    expect(await a.setIfAbsent('catalog:gen:course:intro', 'g1', 60)).toBe(true);
    expect(await b.get('catalog:gen:course:intro')).toBe('g1');
    expect(await a.setIfAbsent('catalog:gen:course:intro', 'g2', 60)).toBe(false);
    expect(await a.get('catalog:gen:course:intro')).toBe('g1');
    expect(published).toEqual([]);
    // An edit renews it: the other process drops its copy at once.
    await a.set('catalog:gen:course:intro', 'g3', 60);
    await eventually(async () => (await b.get('catalog:gen:course:intro')) === 'g3', 1_000);
    expect(published).toEqual([['catalog:gen:course:intro']]);
  });

  describe('admitting a key on its second read', () => {
    it('copies a loaded value only once it is read again, then answers it from memory', async () => {
      const inner = new CountingCache();
      const cache = await near(inner, { admitOnSecondRead: true });
      // A reader misses, loads and stores: the first use of the key is not copied.
      expect(await cache.get('hot:page:1')).toBeUndefined();
      await cache.set('hot:page:1', { items: [1] }, 60);
      expect(cache.stats().entries).toBe(0);
      // The second read fetches it and copies it; the reads after it stay in this process.
      expect(await cache.get('hot:page:1')).toEqual({ items: [1] });
      expect(cache.stats().entries).toBe(1);
      const gets = inner.gets;
      for (let i = 0; i < 5; i++) expect(await cache.get('hot:page:1')).toEqual({ items: [1] });
      expect(inner.gets).toBe(gets);
      expect(Object.isFrozen(await cache.get('hot:page:1'))).toBe(true);
    });

    it('keeps the hot copies through a crawl that reads every other key once', async () => {
      const inner = new CountingCache();
      const cache = await near(inner, { admitOnSecondRead: true, maxEntries: 5 });
      await inner.set('hot:front', 'front page', 60);
      await cache.get('hot:front');
      await cache.get('hot:front'); // copied
      for (let i = 0; i < 200; i++) {
        // A crawler: each page missed, loaded and stored once, or found in the shared cache once.
        if (i % 2) await inner.set(`hot:list:${i}`, i, 60);
        if ((await cache.get(`hot:list:${i}`)) === undefined) await cache.set(`hot:list:${i}`, i, 60);
        await cache.getMany([`hot:course:${i}`]);
      }
      expect(cache.stats().entries).toBe(1);
      const gets = inner.gets;
      expect(await cache.get('hot:front')).toBe('front page');
      expect(inner.gets).toBe(gets); // still answered from memory
    });

    it('copies a hot key again on its first read after its copy expired', async () => {
      let now = 1_000;
      const inner = new CountingCache();
      const cache = await near(inner, { admitOnSecondRead: true, ttlMs: 1_000, now: () => now });
      await inner.set('hot:a', 'v', 60);
      await cache.get('hot:a');
      await cache.get('hot:a'); // copied
      now += 1_001;
      // The TTL's timer has moved the counts to the older generation meanwhile.
      (cache as unknown as { forgetOldReads(): void }).forgetOldReads();
      const gets = inner.gets;
      expect(await cache.get('hot:a')).toBe('v'); // expired: fetched, and copied at once
      expect(await cache.get('hot:a')).toBe('v');
      expect(inner.gets).toBe(gets + 1);
    });

    it('remembers a bounded number of reads, however many keys a crawl touches', async () => {
      const cache = await near(new MemoryCache(), { admitOnSecondRead: true, maxEntries: 10 });
      for (let i = 0; i < 1_000; i++) await cache.get(`hot:${i}`);
      const counts = cache as unknown as { reads: Map<string, number>; readsBefore: Map<string, number> };
      // Two generations of at most eight times maxEntries each.
      expect(counts.reads.size + counts.readsBefore.size).toBeLessThanOrEqual(2 * 8 * 10 + 1);
    });
  });

  it('serves the catalog from memory in each process and shows an edit made in the other at once', async () => {
    // With the predicate the processes run with: pages are written once, generations announced.
    const [a, b] = await twoProcesses({ writeOnce: nearWriteOnce, admitOnSecondRead: true });
    let title = 'v1';
    let loads = 0;
    const load = async () => {
      loads++;
      return { items: [{ title }] };
    };
    const catalogA = new CatalogCache(a, async () => 'slug');
    const catalogB = new CatalogCache(b, async () => 'slug');
    expect(await catalogA.list('page:1', load)).toEqual({ items: [{ title: 'v1' }] });
    for (let i = 0; i < 3; i++) expect(await catalogB.list('page:1', load)).toEqual({ items: [{ title: 'v1' }] });
    expect(loads).toBe(1);
    const hitsBefore = b.stats().hits;
    await catalogB.list('page:1', load);
    expect(b.stats().hits - hitsBefore).toBe(2); // generation and page, no Redis round trip
    title = 'v2';
    await catalogA.courseChanged('course-1');
    await eventually(async () => (await catalogB.list('page:1', load)).items[0]!.title === 'v2', 1_000);
  });
});

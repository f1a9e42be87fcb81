import { describe, expect, it } from 'vitest';
import { MemoryCache } from './memory.js';
import type { CachePort } from './port.js';
import { CacheLoader, SingleFlight } from './single-flight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs one call per key while it is running, and a new one after it settles', async () => {
    const flights = new SingleFlight();
    const gate = deferred<string>();
    let calls = 0;
    const work = () => {
      calls += 1;
      return gate.promise;
    };
    const waiting = Array.from({ length: 20 }, () => flights.run('k', work));
    const other = flights.run('other', async () => 'b');
    expect(calls).toBe(1);
    gate.resolve('a');
    expect(await Promise.all(waiting)).toEqual(Array(20).fill('a'));
    expect(await other).toBe('b');
    expect(flights.size).toBe(0);
    await flights.run('k', async () => {
      calls += 1;
    });
    expect(calls).toBe(2);
  });

  it('hands a failure to every waiter and lets the next call try again', async () => {
    const flights = new SingleFlight();
    const gate = deferred<string>();
    const waiting = [flights.run('k', () => gate.promise), flights.run('k', () => gate.promise)];
    gate.reject(new Error('source down'));
    for (const w of waiting) await expect(w).rejects.toThrow('source down');
    expect(await flights.run('k', async () => 'recovered')).toBe('recovered');
  });
});

describe('CacheLoader', () => {
  it('loads once for concurrent misses on one key, then serves the cache', async () => {
    const cache = new MemoryCache();
    const loader = new CacheLoader(cache);
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { title: 'Course' };
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => loader.get('course:1', 60, load)));
    expect(loads).toBe(1);
    expect(results.every((r) => r.title === 'Course')).toBe(true);
    expect(await cache.get('course:1')).toEqual({ title: 'Course' });
    await loader.get('course:1', 60, load);
    expect(loads).toBe(1);
    // Different keys load separately.
    await Promise.all([loader.get('course:2', 60, load), loader.get('course:3', 60, load)]);
    expect(loads).toBe(3);
    await cache.close();
  });

  it('serves from the source, once per burst, when the cache is down', async () => {
    const broken = new Proxy({} as CachePort, {
      get: (_t, prop) => (prop === 'backend' ? 'redis' : async () => Promise.reject(new Error('cache down'))),
    });
    const warnings: string[] = [];
    const loader = new CacheLoader(broken, { warn: (_d, message) => warnings.push(message) });
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 10));
      return 42;
    };
    expect(await Promise.all(Array.from({ length: 10 }, () => loader.get('k', 60, load)))).toEqual(Array(10).fill(42));
    expect(loads).toBe(1);
    expect(warnings).toContain('cache read failed; serving from the source');
  });

  it('caches nothing when the load fails', async () => {
    const cache = new MemoryCache();
    const loader = new CacheLoader(cache);
    await expect(loader.get('k', 60, async () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    expect(await cache.get('k')).toBeUndefined();
    expect(await loader.get('k', 60, async () => 'later')).toBe('later');
    await cache.close();
  });
});

import { describe, expect, it } from 'vitest';
import { cachedMany } from './cached.js';
import { MemoryCache } from './memory.js';

/** Records which keys each read asked for, and can fail every read. */
class WatchedCache extends MemoryCache {
  reads: string[][] = [];
  failReads = false;
  override async getMany(keys: readonly string[]): Promise<unknown[]> {
    this.reads.push([...keys]);
    if (this.failReads) throw new Error('cache down');
    return super.getMany(keys);
  }
}

describe('cachedMany', () => {
  it('reads every key at once, and loads and stores only the missing ones', async () => {
    const cache = new WatchedCache();
    await cache.set('a', { role: 'student' }, 60);
    const loaded: string[] = [];
    const load = (value: unknown) => async () => (loaded.push(String(value)), value);
    const entries = [
      { key: 'a', ttlSeconds: 60, load: load('from the database') },
      { key: 'b', ttlSeconds: 60, load: load(true) },
    ] as const;

    expect(await cachedMany<[unknown, unknown]>(cache, entries)).toEqual([{ role: 'student' }, true]);
    expect(cache.reads).toEqual([['a', 'b']]);
    expect(loaded).toEqual(['true']);
    expect(await cache.get('b')).toBe(true);

    expect(await cachedMany<[unknown, unknown]>(cache, entries)).toEqual([{ role: 'student' }, true]);
    expect(loaded).toEqual(['true']);
  });

  it('answers from the source when the cache cannot be read, and logs it', async () => {
    const cache = new WatchedCache();
    cache.failReads = true;
    const warnings: string[] = [];
    const values = await cachedMany<[number, string]>(
      cache,
      [
        { key: 'x', ttlSeconds: 60, load: async () => 1 },
        { key: 'y', ttlSeconds: 60, load: async () => 'two' },
      ],
      { warn: (_details, message) => warnings.push(message) },
    );
    expect(values).toEqual([1, 'two']);
    expect(warnings).toEqual(['cache read failed; serving from the source']);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../platform/cache/memory.js';
import { CatalogCache } from './invalidation.js';

/** Counts loads; `gate` holds a load until released, to put a write in the middle of it. */
function source(values: string[]) {
  let loads = 0;
  let gate: Promise<void> | undefined;
  return {
    get loads() {
      return loads;
    },
    hold() {
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => release();
    },
    load: async () => {
      const value = values[Math.min(loads, values.length - 1)]!;
      loads++;
      if (gate) await gate;
      return { title: value };
    },
  };
}

describe('CatalogCache generations', () => {
  it("keeps a page's first load under a new generation, read back without loading again", async () => {
    const cache = new MemoryCache();
    const catalog = new CatalogCache(cache, async () => 'intro');
    const page = source(['v1']);
    expect(await catalog.detail('intro', page.load)).toEqual({ title: 'v1' });
    const generation = await cache.get<string>('catalog:gen:course:intro');
    expect(typeof generation).toBe('string');
    expect(await cache.get(`catalog:course:intro:${generation}`)).toEqual({ title: 'v1' });
    expect(await catalog.detail('intro', page.load)).toEqual({ title: 'v1' });
    expect(page.loads).toBe(1);
  });

  it('leaves nothing behind when the load fails (a mistyped slug)', async () => {
    const cache = new MemoryCache();
    const catalog = new CatalogCache(cache, async () => undefined);
    await expect(
      catalog.detail('no-such', async () => {
        throw new Error('not found');
      }),
    ).rejects.toThrow('not found');
    expect(await cache.get('catalog:gen:course:no-such')).toBeUndefined();
  });

  it('does not serve a first load that an edit overtook: the next reader loads the edit', async () => {
    const cache = new MemoryCache();
    const catalog = new CatalogCache(cache, async () => 'intro');
    const page = source(['before the edit', 'after the edit']);
    const release = page.hold();
    const first = catalog.detail('intro', page.load);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await catalog.courseChanged('course-1'); // renews the generation while the load is under way
    release();
    expect(await first).toEqual({ title: 'before the edit' });
    expect(await catalog.detail('intro', page.load)).toEqual({ title: 'after the edit' });
    expect(page.loads).toBe(2);
  });
});

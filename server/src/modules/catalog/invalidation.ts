import { randomBytes } from 'node:crypto';
import type { CacheFailureLog } from '../../platform/cache/cached.js';
import type { CachePort } from '../../platform/cache/port.js';
import { CacheLoader, SingleFlight } from '../../platform/cache/single-flight.js';

/**
 * Other modules that change what a course page or list shows (reviews move the rating,
 * enrollments the student count) tell the catalog, which drops the cached detail and lists.
 * Call it after the write has committed: called inside the transaction, a reader could refill the
 * cache with the state before the write. Implemented by the catalog module (`CatalogCache`).
 */
export interface CatalogInvalidator {
  courseChanged(courseId: string): Promise<void>;
}

/**
 * The lifetimes: course lists 5 min, a course page 10 min, the category tree 1 h. Search
 * answers 1 min: there are many more of them, and each is worth keeping only while it is popular.
 */
export const CATALOG_TTL_SECONDS = { list: 300, detail: 600, categories: 3600, search: 60 } as const;
/** Longer than any entry under it; a lost generation only costs misses (see below). */
const GENERATION_TTL_SECONDS = 86_400;

/** Finds the slug whose detail entry belongs to a course (the detail is keyed by slug, as it is requested). */
export type SlugOfCourse = (courseId: string) => Promise<string | undefined>;

/**
 * The catalog's cache entries and their invalidation.
 *
 * Entries are never deleted: each family (every list, the category tree, one course's detail) has a
 * generation, a random token stored in the cache and part of every key of the family.
 * Invalidating writes a new token, so readers move to new keys at once and the old entries age
 * out. This closes the race a plain delete leaves open: a reader that loaded the old row just
 * before the write committed would otherwise store it after the delete and serve it for the
 * whole TTL; here it stores it under the old generation, which nobody reads any more. Tokens
 * are random rather than counters so a generation lost to eviction can never come back to a
 * value whose stale entries still exist.
 */
export class CatalogCache implements CatalogInvalidator {
  private readonly loader: CacheLoader;
  private readonly flights = new SingleFlight();

  constructor(
    private readonly cache: CachePort,
    private readonly slugOf: SlugOfCourse,
    private readonly log?: CacheFailureLog,
  ) {
    this.loader = new CacheLoader(cache, log);
  }

  categories<T>(load: () => Promise<T>): Promise<T> {
    return this.read('catalog:gen:categories', 'catalog:categories', CATALOG_TTL_SECONDS.categories, load);
  }

  /** Any page of published courses (filters and paging are part of `variant`). */
  list<T>(variant: string, load: () => Promise<T>): Promise<T> {
    return this.read('catalog:gen:lists', `catalog:list:${variant}`, CATALOG_TTL_SECONDS.list, load);
  }

  /**
   * A search or autocomplete answer. Its generation is renewed with the lists' (it shows the same
   * cards) and also by every view-count flush: searches rank and break ties by views, and were
   * always read fresh before answers were kept, while lists have had their 5 minutes.
   */
  searchAnswer<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.read('catalog:gen:search', `catalog:${key}`, CATALOG_TTL_SECONDS.search, load);
  }

  /** After view counts reached the database (once a minute at most): searches rank by them. */
  async viewCountsChanged(): Promise<void> {
    await this.renew(['catalog:gen:search']);
  }

  detail<T>(slug: string, load: () => Promise<T>): Promise<T> {
    return this.read(`catalog:gen:course:${slug}`, `catalog:course:${slug}`, CATALOG_TTL_SECONDS.detail, load);
  }

  /** A course's page and every list (its card may be on any of them) are dropped. */
  async courseChanged(courseId: string): Promise<void> {
    const slug = await this.slugOf(courseId);
    await this.renew(['catalog:gen:lists', 'catalog:gen:search', ...(slug ? [`catalog:gen:course:${slug}`] : [])]);
  }

  /** After a studio write: also the category tree, whose counts follow publishing and categories. */
  async courseEdited(slug: string): Promise<void> {
    await this.renew([
      'catalog:gen:lists',
      'catalog:gen:search',
      'catalog:gen:categories',
      `catalog:gen:course:${slug}`,
    ]);
  }

  async categoriesChanged(): Promise<void> {
    await this.renew(['catalog:gen:lists', 'catalog:gen:search', 'catalog:gen:categories']);
  }

  private async read<T>(generationKey: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    let generation: string | undefined;
    try {
      generation = await this.cache.get<string>(generationKey);
    } catch (error) {
      // Without a generation nothing can be cached safely; the source still answers, once per burst.
      this.log?.warn({ err: error, key: generationKey }, 'cache read failed; serving from the source');
      return this.flights.run(`source:${key}`, load);
    }
    if (typeof generation === 'string') return this.loader.get(`${key}:${generation}`, ttlSeconds, load);
    return this.flights.run(`first:${key}`, () => this.loadFirst(generationKey, key, ttlSeconds, load));
  }

  /**
   * No generation yet (first read, or it aged out). One is created only after the load succeeds,
   * so requests for things that do not exist (a mistyped slug) leave nothing behind; and only if
   * no invalidation wrote one meanwhile, in which case what was loaded may already be old.
   */
  private async loadFirst<T>(generationKey: string, key: string, ttlSeconds: number, load: () => Promise<T>) {
    const value = await load();
    const generation = randomBytes(6).toString('base64url');
    try {
      if (await this.cache.setIfAbsent(generationKey, generation, GENERATION_TTL_SECONDS)) {
        await this.cache.set(`${key}:${generation}`, value, ttlSeconds);
      }
    } catch (error) {
      this.log?.warn({ err: error, key: generationKey }, 'cache write failed');
    }
    return value;
  }

  private async renew(generationKeys: string[]): Promise<void> {
    await Promise.all(
      generationKeys.map(async (generationKey) => {
        try {
          await this.cache.set(generationKey, randomBytes(6).toString('base64url'), GENERATION_TTL_SECONDS);
        } catch (error) {
          // The write itself has committed; a page may stay stale until its TTL ends.
          this.log?.warn({ err: error, key: generationKey }, 'cache invalidation failed');
        }
      }),
    );
  }
}

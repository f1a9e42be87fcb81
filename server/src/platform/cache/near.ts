import { randomUUID } from 'node:crypto';
import type { CachePort, RateLimitHit } from './port.js';

/** What copyOf answers when there is no fresh copy (a cached value may itself be null or false). */
const NO_COPY = Symbol('no copy');

/**
 * Tells the other processes sharing one cache which near keys changed, so they drop their copies.
 * Messages are best effort: a lost one costs at most the near TTL of staleness, and a subscriber
 * that reconnects drops everything it holds (it cannot know what it missed).
 */
export interface InvalidationBus {
  publish(message: NearInvalidation): Promise<void>;
  /** `onMessage` for each message from another process; `onGap` after a reconnect (messages may be lost). */
  subscribe(onMessage: (message: NearInvalidation) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface NearInvalidation {
  /** The publishing process; a process ignores its own messages (it already applied them). */
  origin: string;
  keys: string[];
  prefixes: string[];
}

export interface NearCacheOptions {
  /** Keys starting with one of these are kept in this process too; every other key passes through. */
  prefixes: readonly string[];
  /**
   * The longest a near copy is served. With a bus this only bounds a lost message; without one (or
   * to another process's writes when Redis pub/sub is down) it is how stale a read may be.
   */
  ttlMs: number;
  maxEntries: number;
  /** Bound on the JSON size of everything held (an estimate of the memory, not a measure). */
  maxBytes: number;
  bus?: InvalidationBus;
  /**
   * Near keys written once: their name carries everything their value depends on (a catalog page's
   * key carries its generation; a change makes a new key), so no other process can hold a different
   * value under it, and writing one tells no one. Without this every fill of an uncached page sent
   * every other process a message to drop a copy it could not have.
   */
  writeOnce?: (key: string) => boolean;
  /**
   * Copy a key only on its second read within one to two TTLs (a doorkeeper, as in TinyLFU), not on
   * its first. A crawl over every list or course page reads each key once: at a few hundred pages a
   * second, copying those filled the budget within a few seconds, pushed out the hot pages that
   * every reader shares before their TTL was up, and cost each one-off page a JSON.stringify and a
   * deep freeze it never paid back. A hot key pays one more shared read per TTL than without it.
   */
  admitOnSecondRead?: boolean;
  log?: { warn(details: object, message: string): void };
  now?: () => number;
}

interface NearEntry {
  value: unknown;
  bytes: number;
  expiresAt: number;
}

/** Hit and miss counts, for the benchmark and tests. */
export interface NearStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A small in-process cache (L1) in front of the shared one, for hot read-mostly keys (catalog pages,
 * lesson facts). A hit costs a Map lookup instead of a Redis round trip and a JSON.parse.
 *
 * With `admitOnSecondRead` a key is copied on its second read, not its first, so one-off keys (a
 * crawler walking every page) neither pay for a copy nor push the hot ones out.
 *
 * Values handed out are shared and deep-frozen: a caller that tried to change one would throw
 * instead of corrupting what the next request gets. Only `get`/`set`/`setIfAbsent`/`delete`/
 * `deleteByPrefix` are near; counters, hashes and sets under a near prefix would pass through but
 * should not be put there.
 *
 * Coherence: every write of a near key through this process updates its copy and tells the other
 * processes (the bus) to drop theirs (but for keys written once, see `writeOnce`, and keys
 * created where there were none, see `setIfAbsent`); an `epoch`
 * bumped on every invalidation keeps a read that was already on its way to Redis from storing a
 * value older than the invalidation.
 */
export class NearCache implements CachePort {
  readonly backend: CachePort['backend'];
  private readonly entries = new Map<string, NearEntry>();
  private readonly origin = randomUUID();
  private readonly now: () => number;
  private bytes = 0;
  private epoch = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private hits = 0;
  private misses = 0;
  /**
   * Admission (`admitOnSecondRead`): reads of near keys this process held no copy of, counted up to
   * two, in two generations swapped every TTL (and sooner when one grows past `seenLimit`), so a
   * read is remembered for one to two TTLs and the counts stay bounded under any crawl.
   */
  private reads = new Map<string, 1 | 2>();
  private readsBefore = new Map<string, 1 | 2>();

  private constructor(
    private readonly inner: CachePort,
    private readonly options: NearCacheOptions,
  ) {
    this.backend = inner.backend;
    this.now = options.now ?? Date.now;
  }

  static async open(inner: CachePort, options: NearCacheOptions): Promise<NearCache> {
    const near = new NearCache(inner, options);
    // Expired copies would otherwise stay until capacity pushes them out: after a burst over many
    // keys (every course page once) the process would keep the whole budget for nothing.
    near.sweeper = setInterval(() => {
      near.sweepExpired();
      near.forgetOldReads();
    }, options.ttlMs);
    near.sweeper.unref();
    if (options.bus) {
      try {
        await options.bus.subscribe(
          (message) => {
            if (message.origin !== near.origin) near.drop(message.keys, message.prefixes);
          },
          () => near.clear(),
        );
      } catch (error) {
        // Without the bus other processes' writes reach this one only through the TTL.
        options.log?.warn({ err: error }, 'near cache could not subscribe to invalidations');
      }
    }
    return near;
  }

  /** Reads a crawl can leave counted at most, per generation: a few times the copies held. */
  private get seenLimit(): number {
    return this.options.maxEntries * 8;
  }

  private forgetOldReads(): void {
    this.readsBefore = this.reads;
    this.reads = new Map();
  }

  private readsOf(key: string): number {
    return this.reads.get(key) ?? this.readsBefore.get(key) ?? 0;
  }

  /** Counts a read that found no copy here; true when the key may be copied now. */
  private countRead(key: string): boolean {
    if (!this.options.admitOnSecondRead) return true;
    const seen = this.readsOf(key) > 0;
    this.reads.set(key, seen ? 2 : 1);
    if (this.reads.size > this.seenLimit) this.forgetOldReads();
    return seen;
  }

  /** Whether a value written here may be copied: without admission always, with it once read twice. */
  private admitted(key: string): boolean {
    return !this.options.admitOnSecondRead || this.readsOf(key) === 2;
  }

  stats(): NearStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  private isNear(key: string): boolean {
    for (const prefix of this.options.prefixes) if (key.startsWith(prefix)) return true;
    return false;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.entries.delete(key);
  }

  /**
   * Drops expired copies from the oldest on. Insertion order is close to expiry order (one TTL for
   * nearly everything), so this stops at the first live entry instead of walking the whole map.
   */
  private sweepExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.remove(key);
    }
  }

  private store(key: string, value: unknown, ttlSeconds: number | undefined): void {
    const json = JSON.stringify(value);
    // Larger than a tenth of the budget: caching it would evict many smaller hot entries.
    if (json === undefined || json.length * 10 > this.options.maxBytes) {
      this.remove(key);
      return;
    }
    const ttlMs = ttlSeconds === undefined ? this.options.ttlMs : Math.min(this.options.ttlMs, ttlSeconds * 1000);
    this.remove(key);
    this.entries.set(key, { value: deepFreeze(value), bytes: json.length, expiresAt: this.now() + ttlMs });
    this.bytes += json.length;
    this.sweepExpired();
    // Oldest first (Map keeps insertion order); with lifetimes of seconds, recency adds little.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) break;
      this.remove(oldest);
    }
  }

  private drop(keys: string[], prefixes: string[]): void {
    this.epoch++;
    for (const key of keys) this.remove(key);
    if (prefixes.length) {
      for (const key of [...this.entries.keys()]) if (prefixes.some((p) => key.startsWith(p))) this.remove(key);
    }
  }

  /** Forgets every near copy (after a gap in the invalidation messages). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.bytes = 0;
  }

  private async announce(keys: string[], prefixes: string[]): Promise<void> {
    if (!this.options.bus) return;
    try {
      await this.options.bus.publish({ origin: this.origin, keys, prefixes });
    } catch (error) {
      // The write has happened; the other processes see it when their copies expire.
      this.options.log?.warn({ err: error, keys, prefixes }, 'near cache invalidation not published');
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (!this.isNear(key)) return this.inner.get<T>(key);
    const copy = this.copyOf(key);
    if (copy !== NO_COPY) return copy as T;
    const admit = this.countRead(key);
    const epoch = this.epoch;
    const value = await this.inner.get<T>(key);
    if (admit) this.keep(key, value, epoch);
    return value;
  }

  /** Keys with a fresh copy here are answered from it; the rest in one read of the shared cache. */
  async getMany(keys: readonly string[]): Promise<unknown[]> {
    const values: unknown[] = new Array(keys.length);
    const missing: number[] = [];
    // Per missing key: whether what the shared cache brings may be copied (a near key, admitted).
    const admit: boolean[] = [];
    keys.forEach((key, i) => {
      const near = this.isNear(key);
      const copy = near ? this.copyOf(key) : NO_COPY;
      if (copy !== NO_COPY) {
        values[i] = copy;
        return;
      }
      missing.push(i);
      admit.push(near && this.countRead(key));
    });
    if (missing.length === 0) return values;
    const epoch = this.epoch;
    const fetched = await this.inner.getMany(missing.map((i) => keys[i]!));
    missing.forEach((i, n) => {
      values[i] = fetched[n];
      if (admit[n]) this.keep(keys[i]!, fetched[n], epoch);
    });
    return values;
  }

  /** The fresh copy of a near key (counted as a hit), or NO_COPY (a miss); an expired copy goes. */
  private copyOf(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      this.hits++;
      return entry.value;
    }
    if (entry) this.remove(key);
    this.misses++;
    return NO_COPY;
  }

  /**
   * Copies what the shared cache answered for a near key, read while `epoch` was current. Misses
   * are not kept (a key about to be filled, a new generation, must be seen at once), nor a value
   * read across an invalidation.
   */
  private keep(key: string, value: unknown, epoch: number): void {
    if (value !== undefined && epoch === this.epoch) this.store(key, value, undefined);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    if (!this.isNear(key)) return this.inner.set(key, value, ttlSeconds);
    if (this.options.writeOnce?.(key)) {
      // Nothing to invalidate here or elsewhere: a read of this key can only bring the same value.
      await this.inner.set(key, value, ttlSeconds);
      if (this.admitted(key)) this.store(key, value, ttlSeconds);
      return;
    }
    this.drop([key], []);
    await this.inner.set(key, value, ttlSeconds);
    this.drop([key], []);
    if (this.admitted(key)) this.store(key, value, ttlSeconds);
    await this.announce([key], []);
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    if (!this.isNear(key)) return this.inner.setIfAbsent(key, value, ttlSeconds);
    const stored = await this.inner.setIfAbsent(key, value, ttlSeconds);
    // Stored or not, the shared value is now the truth; the next read fetches it.
    this.drop([key], []);
    // Nobody is told. The key was absent from the shared cache, so another process can hold a copy
    // only of a value that vanished there (expired or evicted) within the near TTL, and the TTL
    // bounds that copy as it bounds a lost message; a deletion is announced by `delete`. The catalog
    // creates a course page's generation this way on the page's first visit: the message cost every
    // first visit a socket write and every other process a message to handle.
    return stored;
  }

  async delete(...keys: string[]): Promise<void> {
    await this.inner.delete(...keys);
    const near = keys.filter((key) => this.isNear(key));
    if (near.length) {
      this.drop(near, []);
      await this.announce(near, []);
    }
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const removed = await this.inner.deleteByPrefix(prefix);
    // A prefix shorter than a near prefix may still cover near keys.
    if (this.options.prefixes.some((p) => p.startsWith(prefix) || prefix.startsWith(p))) {
      this.drop([], [prefix]);
      await this.announce([], [prefix]);
    }
    return removed;
  }

  increment(key: string, by?: number, ttlSeconds?: number): Promise<number> {
    return this.inner.increment(key, by, ttlSeconds);
  }
  hashSet(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void> {
    return this.inner.hashSet(key, fields, ttlSeconds);
  }
  hashGetAll(key: string): Promise<Record<string, string>> {
    return this.inner.hashGetAll(key);
  }
  hashGetAllMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    return this.inner.hashGetAllMany(keys);
  }
  hashIncrement(key: string, field: string, by: number): Promise<number> {
    return this.inner.hashIncrement(key, field, by);
  }
  hashDelete(key: string, ...fields: string[]): Promise<void> {
    return this.inner.hashDelete(key, ...fields);
  }
  renameIfAbsent(from: string, to: string): Promise<boolean> {
    return this.inner.renameIfAbsent(from, to);
  }
  setAdd(key: string, ...members: string[]): Promise<void> {
    return this.inner.setAdd(key, ...members);
  }
  setPop(key: string, count: number): Promise<string[]> {
    return this.inner.setPop(key, count);
  }
  hit(key: string, windowMs: number, hits = 1): Promise<RateLimitHit> {
    return this.inner.hit(key, windowMs, hits);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.clear();
    this.reads.clear();
    this.readsBefore.clear();
    await Promise.allSettled([this.options.bus?.close()]);
    await this.inner.close();
  }
}

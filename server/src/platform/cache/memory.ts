import type { CachePort, RateLimitHit } from './port.js';

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * The embedded cache: one process's memory. Same semantics as the Redis adapter (the contract
 * suite holds both to it), expiry checked lazily on read and swept now and then.
 */
export class MemoryCache implements CachePort {
  readonly backend = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {
    this.sweepTimer = setInterval(() => this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private put(key: string, value: unknown, ttlSeconds: number | undefined, keepTtlOf?: Entry): void {
    const expiresAt =
      keepTtlOf?.expiresAt ?? (ttlSeconds === undefined ? Number.POSITIVE_INFINITY : this.now() + ttlSeconds * 1000);
    this.entries.set(key, { value, expiresAt });
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('cache is closed');
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const entry = this.live(key);
    // Stored as JSON text so callers get a copy, as they would from Redis.
    return entry && typeof entry.value === 'string' ? (JSON.parse(entry.value) as T) : undefined;
  }

  async getMany(keys: readonly string[]): Promise<unknown[]> {
    this.assertOpen();
    return keys.map((key) => {
      const entry = this.live(key);
      return entry && typeof entry.value === 'string' ? (JSON.parse(entry.value) as unknown) : undefined;
    });
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    this.put(key, JSON.stringify(value), ttlSeconds);
  }

  async setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    this.assertOpen();
    if (this.live(key)) return false;
    this.put(key, JSON.stringify(value), ttlSeconds);
    return true;
  }

  async delete(...keys: string[]): Promise<void> {
    this.assertOpen();
    for (const key of keys) this.entries.delete(key);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix) && this.live(key)) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async increment(key: string, by = 1, ttlSeconds?: number): Promise<number> {
    this.assertOpen();
    const entry = this.live(key);
    const next = (entry ? Number(entry.value) : 0) + by;
    this.put(key, next, ttlSeconds, entry);
    return next;
  }

  private hash(key: string): Map<string, string> | undefined {
    const value = this.live(key)?.value;
    return value instanceof Map ? (value as Map<string, string>) : undefined;
  }

  async hashSet(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void> {
    this.assertOpen();
    const entry = this.live(key);
    const hash = this.hash(key) ?? new Map<string, string>();
    for (const [field, value] of Object.entries(fields)) hash.set(field, value);
    // Like Redis HSET + EXPIRE: a given TTL resets the expiry, no TTL keeps the current one.
    this.put(key, hash, ttlSeconds, ttlSeconds === undefined ? entry : undefined);
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    this.assertOpen();
    return Object.fromEntries(this.hash(key) ?? []);
  }

  async hashGetAllMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    this.assertOpen();
    return keys.map((key) => Object.fromEntries(this.hash(key) ?? []));
  }

  async hashIncrement(key: string, field: string, by: number): Promise<number> {
    this.assertOpen();
    const entry = this.live(key);
    const hash = this.hash(key) ?? new Map<string, string>();
    const next = Number(hash.get(field) ?? 0) + by;
    hash.set(field, String(next));
    this.put(key, hash, undefined, entry);
    return next;
  }

  async hashDelete(key: string, ...fields: string[]): Promise<void> {
    this.assertOpen();
    const hash = this.hash(key);
    if (!hash) return;
    for (const field of fields) hash.delete(field);
    if (hash.size === 0) this.entries.delete(key);
  }

  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    this.assertOpen();
    const entry = this.live(from);
    if (!entry || this.live(to)) return false;
    this.entries.delete(from);
    this.entries.set(to, entry);
    return true;
  }

  async setAdd(key: string, ...members: string[]): Promise<void> {
    this.assertOpen();
    const entry = this.live(key);
    const set = entry?.value instanceof Set ? (entry.value as Set<string>) : new Set<string>();
    for (const member of members) set.add(member);
    this.put(key, set, undefined, entry);
  }

  async setPop(key: string, count: number): Promise<string[]> {
    this.assertOpen();
    const value = this.live(key)?.value;
    if (!(value instanceof Set)) return [];
    const set = value as Set<string>;
    const popped = [...set].slice(0, count);
    for (const member of popped) set.delete(member);
    if (set.size === 0) this.entries.delete(key);
    return popped;
  }

  async hit(key: string, windowMs: number, hits = 1): Promise<RateLimitHit> {
    this.assertOpen();
    const entry = this.live(key);
    const now = this.now();
    const count = (entry ? Number(entry.value) : 0) + hits;
    const expiresAt = entry?.expiresAt ?? now + windowMs;
    this.entries.set(key, { value: count, expiresAt });
    return { count, resetInMs: expiresAt - now };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.entries.clear();
  }
}

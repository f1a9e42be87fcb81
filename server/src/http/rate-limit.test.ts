import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../platform/cache/memory.js';
import type { RateLimitHit } from '../platform/cache/port.js';
import { SettlingCounter } from './rate-limit.js';

const quiet = { warn: () => undefined };
const SETTLE_MS = 10;
const WINDOW_MS = 60_000;

/** The shared cache (Redis in production) with a count of the calls that reached it. */
function sharedCache() {
  const cache = new MemoryCache();
  const calls: number[] = [];
  return {
    calls,
    cache,
    port: {
      hit: (key: string, windowMs: number, hits = 1): Promise<RateLimitHit> => {
        calls.push(hits);
        return cache.hit(key, windowMs, hits);
      },
    },
  };
}

const count = async (answer: RateLimitHit | Promise<RateLimitHit>) => (await answer).count;

describe('SettlingCounter (the global rate limit)', () => {
  it('answers hits far from the limit from memory and adds them to the shared count in one batch', async () => {
    const shared = sharedCache();
    const counter = new SettlingCounter(shared.port, quiet, SETTLE_MS);
    const counts: number[] = [];
    for (let i = 0; i < 40; i++) counts.push(await count(counter.hit('ip:a', WINDOW_MS, 100)));
    expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(shared.calls).toEqual([]);
    await sleep(SETTLE_MS * 5);
    expect(shared.calls).toEqual([40]);
    expect((await shared.cache.hit('ip:a', WINDOW_MS, 0)).count).toBe(40);
  });

  it('holds one limit across processes: near it, every hit asks the shared count', async () => {
    const shared = sharedCache();
    const processes = [
      new SettlingCounter(shared.port, quiet, SETTLE_MS),
      new SettlingCounter(shared.port, quiet, SETTLE_MS),
    ];
    const max = 6;
    const counts: number[] = [];
    // Alternating between two API processes, as behind a load balancer, with no pause to settle.
    for (let i = 0; i < 8; i++) counts.push(await count(processes[i % 2]!.hit('ip:b', WINDOW_MS, max)));
    const allowed = counts.filter((c) => c <= max).length;
    expect(allowed).toBe(max);
    expect(counts.slice(max).every((c) => c > max)).toBe(true);
  });

  it('keeps counting in this process while the shared cache is down, and is refused past the limit', async () => {
    const log: string[] = [];
    const counter = new SettlingCounter(
      { hit: () => Promise.reject(new Error('connection refused')) },
      { warn: (_details, message) => log.push(message) },
      SETTLE_MS,
    );
    const counts: number[] = [];
    for (let i = 0; i < 12; i++) counts.push(await count(counter.hit('ip:c', WINDOW_MS, 10)));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(log.length).toBeGreaterThan(0);
  });

  it('starts a new window once the old one has ended', async () => {
    let now = 1_000_000;
    const shared = sharedCache();
    const counter = new SettlingCounter(shared.port, quiet, SETTLE_MS, () => now);
    for (let i = 0; i < 3; i++) await count(counter.hit('ip:d', 1_000, 100));
    now += 1_001;
    const next = await counter.hit('ip:d', 1_000, 100);
    expect(next.count).toBe(1);
    expect(next.resetInMs).toBe(1_000);
  });
});

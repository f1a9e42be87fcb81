import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../platform/cache/memory.js';
import type { CachePort } from '../../platform/cache/port.js';
import { ResilientCounters } from '../../platform/cache/resilient.js';
import { LoginGuard } from './login-guard.js';

async function failTimes(guard: LoginGuard, email: string, times: number): Promise<unknown> {
  for (let i = 0; i < times; i++) {
    try {
      await guard.recordFailure(email);
    } catch (error) {
      return error;
    }
  }
  return undefined;
}

describe('LoginGuard', () => {
  it('locks on the 20th failure with growing lock-outs: 1, 2, 4 … 60 minutes', async () => {
    let now = Date.UTC(2026, 0, 1);
    const guard = new LoginGuard(new ResilientCounters(new MemoryCache(() => now)), () => now);
    const minutes: number[] = [];
    for (let lock = 0; lock < 8; lock++) {
      expect(await failTimes(guard, 'Kim@Example.com', 19)).toBeUndefined();
      const locked = (await failTimes(guard, 'kim@example.com', 1)) as {
        code: string;
        details: { retryAfterSeconds: number };
      };
      expect(locked.code).toBe('account_locked');
      minutes.push(locked.details.retryAfterSeconds / 60);
      await expect(guard.assertNotLocked('kim@example.com')).rejects.toMatchObject({ code: 'account_locked' });
      now += locked.details.retryAfterSeconds * 1000 + 1;
      await guard.assertNotLocked('kim@example.com');
    }
    expect(minutes).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('forgets failures after a success and keeps accounts apart', async () => {
    const guard = new LoginGuard(new ResilientCounters(new MemoryCache()));
    await failTimes(guard, 'a@example.com', 19);
    await guard.recordSuccess('a@example.com');
    expect(await failTimes(guard, 'a@example.com', 19)).toBeUndefined();
    expect(await failTimes(guard, 'b@example.com', 19)).toBeUndefined();
    await guard.assertNotLocked('a@example.com');
  });

  it('keeps counting in memory when the cache fails', async () => {
    const broken = new Proxy(new MemoryCache(), {
      get: (target, prop) =>
        prop === 'backend' ? 'redis' : () => Promise.reject(new Error(`cache down (${String(prop)})`)),
    }) as unknown as CachePort;
    const warnings: string[] = [];
    const guard = new LoginGuard(new ResilientCounters(broken, { warn: (_d, m) => warnings.push(m) }));
    expect(await failTimes(guard, 'c@example.com', 20)).toMatchObject({ code: 'account_locked' });
    await expect(guard.assertNotLocked('c@example.com')).rejects.toMatchObject({ code: 'account_locked' });
    expect(warnings.length).toBeGreaterThan(0);
  });
});

import type * as Argon2 from '@node-rs/argon2';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Counts the hashes running inside Argon2 at any moment (the real functions still do the work).
const inside = vi.hoisted(() => ({ now: 0, most: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof Argon2>();
  const counted =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      inside.most = Math.max(inside.most, ++inside.now);
      try {
        return await fn(...args);
      } finally {
        inside.now--;
      }
    };
  return { ...real, hash: counted(real.hash), verify: counted(real.verify) };
});

const { DEFAULT_CONCURRENT_HASHES, hashPassword, limitConcurrentHashes, verifyPassword } =
  await import('./passwords.js');

async function burstOfLogIns(): Promise<boolean[]> {
  const stored = await hashPassword('correct horse battery');
  inside.most = 0;
  return Promise.all(
    Array.from({ length: 8 }, (_, i) => verifyPassword(stored, i % 2 ? 'correct horse battery' : 'wrong password!')),
  );
}

describe('password hashing under a burst of log-ins', () => {
  afterEach(() => limitConcurrentHashes(DEFAULT_CONCURRENT_HASHES));

  it('runs at most two hashes at once by default and answers every caller', async () => {
    expect(DEFAULT_CONCURRENT_HASHES).toBe(2);
    expect(await burstOfLogIns()).toEqual([false, true, false, true, false, true, false, true]);
    expect(inside.most).toBe(2);
  });

  it('runs one at a time when the start-up says so (two processes on two cores)', async () => {
    limitConcurrentHashes(1);
    expect(await burstOfLogIns()).toEqual([false, true, false, true, false, true, false, true]);
    expect(inside.most).toBe(1);
  });
});

import type * as Argon2 from '@node-rs/argon2';
import { describe, expect, it, vi } from 'vitest';

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

const { CONCURRENT_HASHES, hashPassword, verifyPassword } = await import('./passwords.js');

describe('password hashing under a burst of log-ins', () => {
  it('runs at most two hashes at once and answers every caller', async () => {
    expect(CONCURRENT_HASHES).toBe(2);
    const stored = await hashPassword('correct horse battery');
    inside.most = 0;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => verifyPassword(stored, i % 2 ? 'correct horse battery' : 'wrong password!')),
    );
    expect(answers).toEqual([false, true, false, true, false, true, false, true]);
    expect(inside.most).toBe(CONCURRENT_HASHES);
  });
});

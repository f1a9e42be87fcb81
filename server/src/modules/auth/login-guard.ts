import type { ResilientCounters } from '../../platform/cache/resilient.js';
import { AppError } from '../app-error.js';

const FAILURE_WINDOW_MS = 15 * 60_000;
const FAILURES_BEFORE_LOCK = 20;
const LOCK_HISTORY_SECONDS = 24 * 3600;
const MAX_LOCK_MINUTES = 60;

/**
 * Per-account brute-force protection, keyed by the typed email so unknown addresses behave
 * exactly like known ones. The 20th wrong password within 15 minutes locks the account for
 * 1, 2, 4 … 60 minutes (doubling with each lock in 24 hours); while locked every attempt, the
 * right password included, is refused, so guessing cannot continue under the lock.
 */
export class LoginGuard {
  constructor(
    private readonly counters: ResilientCounters,
    private readonly now: () => number = Date.now,
  ) {}

  private key(kind: string, email: string): string {
    return `login:${kind}:${email.trim().toLowerCase()}`;
  }

  async assertNotLocked(email: string): Promise<void> {
    const until = await this.counters.get<number>(this.key('lock', email));
    if (until !== undefined && until > this.now()) throw this.lockedError(until);
  }

  /** Counts a wrong password; throws `account_locked` when this one locks the account. */
  async recordFailure(email: string): Promise<void> {
    const { count } = await this.counters.hit(this.key('fail', email), FAILURE_WINDOW_MS);
    if (count < FAILURES_BEFORE_LOCK) return;
    const locks = await this.counters.increment(this.key('locks', email), LOCK_HISTORY_SECONDS);
    const minutes = Math.min(MAX_LOCK_MINUTES, 2 ** (locks - 1));
    const until = this.now() + minutes * 60_000;
    await this.counters.set(this.key('lock', email), until, minutes * 60);
    await this.counters.delete(this.key('fail', email));
    throw this.lockedError(until);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.counters.delete(this.key('fail', email));
  }

  /** A password reset proves the owner: their account opens again. */
  async unlock(email: string): Promise<void> {
    await this.counters.delete(this.key('fail', email), this.key('lock', email));
  }

  private lockedError(until: number): AppError {
    const retryAfterSeconds = Math.max(1, Math.ceil((until - this.now()) / 1000));
    return new AppError(429, 'account_locked', 'Too many wrong passwords: this account is locked for a while.', {
      retryAfterSeconds,
    });
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountCache } from '../src/modules/auth/account-cache.js';
import { LoginGuard } from '../src/modules/auth/login-guard.js';
import { tokenDigest } from '../src/modules/auth/secrets.js';
import { AuthRepository } from '../src/modules/auth/repository.js';
import { AuthService } from '../src/modules/auth/service.js';
import { TokenService } from '../src/modules/auth/tokens.js';
import { UserRepository } from '../src/modules/users/repository.js';
import { MemoryCache } from '../src/platform/cache/memory.js';
import { ResilientCounters } from '../src/platform/cache/resilient.js';
import type { MailMessage } from '../src/platform/mail/port.js';
import { DATABASE_BACKENDS, createTestDatabase, type TestDatabase } from './support/databases.js';

/**
 * AuthService on a real database (both backends) with a fake clock, so expiry and the reuse grace
 * are tested exactly without sleeping. Mail is captured instead of queued.
 */
describe.each(DATABASE_BACKENDS)('AuthService with a fake clock [%s]', (backend) => {
  let database: TestDatabase;
  let now = new Date('2026-03-01T09:00:00Z');
  const mails: MailMessage[] = [];
  let users: UserRepository;
  let repo: AuthRepository;
  let auth: AuthService;
  const client = { userAgent: 'test', ip: '127.0.0.1' };
  const password = 'a long enough password';

  const lastLink = (to: string, pattern: RegExp) => {
    const mail = mails.filter((m) => m.to.includes(to)).at(-1);
    return pattern.exec(mail?.text ?? '')?.[1];
  };

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    users = new UserRepository(database.port.db, database.port.primary);
    repo = new AuthRepository(database.port.primary);
    const cache = new MemoryCache(() => now.getTime());
    auth = new AuthService(
      users,
      repo,
      new TokenService([{ kid: 't1', secret: 's'.repeat(40) }], 900, () => now.getTime()),
      { sendEmail: async (m: MailMessage) => (mails.push(m), 'job') },
      new LoginGuard(new ResilientCounters(cache), () => now.getTime()),
      new AccountCache(cache, users, repo),
      { publicUrl: 'https://lectio.test', refreshTokenTtlMs: 7 * 86_400_000, refreshReuseGraceMs: 10_000 },
      () => now,
    );
  });
  afterAll(async () => database?.dispose());

  const advance = (ms: number) => (now = new Date(now.getTime() + ms));
  const register = (email: string) =>
    auth.register({
      email,
      password,
      displayName: 'Clock',
      locale: 'en',
      consents: { terms: true, privacy: true, marketing: false },
    });

  it('expires a verification link after 24 hours', async () => {
    await register('late@example.com');
    const token = lastLink('late@example.com', /verify-email\?token=([\w-]+)/)!;
    advance(24 * 3600_000 + 1);
    await expect(auth.verifyEmail(token)).rejects.toMatchObject({ code: 'invalid_token' });
    await auth.resendVerification('late@example.com');
    await auth.verifyEmail(lastLink('late@example.com', /verify-email\?token=([\w-]+)/)!);
    expect((await users.findByEmail('late@example.com'))?.emailVerifiedAt).toEqual(now);
  });

  it('expires a reset link after one hour, and an older link dies when a newer one is mailed', async () => {
    await auth.forgotPassword('late@example.com');
    const first = lastLink('late@example.com', /reset-password\?token=([\w-]+)/)!;
    await auth.forgotPassword('late@example.com');
    const second = lastLink('late@example.com', /reset-password\?token=([\w-]+)/)!;
    await expect(auth.resetPassword(first, 'a new long password')).rejects.toMatchObject({ code: 'invalid_token' });
    advance(3600_000 + 1);
    await expect(auth.resetPassword(second, 'a new long password')).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('treats a reuse at 10 s as a race and at 10.001 s as a theft', async () => {
    const session = await auth.login('late@example.com', password, client);
    const rotated = await auth.refresh(session.refreshToken, client);
    advance(10_000);
    await expect(auth.refresh(session.refreshToken, client)).rejects.toMatchObject({ code: 'refresh_raced' });
    advance(1);
    await expect(auth.refresh(session.refreshToken, client)).rejects.toMatchObject({ code: 'refresh_invalid' });
    await expect(auth.refresh(rotated.refreshToken, client)).rejects.toMatchObject({ code: 'refresh_invalid' });
  });

  it('refuses a refresh token past its lifetime', async () => {
    const session = await auth.login('late@example.com', password, client);
    advance(7 * 86_400_000 + 1);
    await expect(auth.refresh(session.refreshToken, client)).rejects.toMatchObject({ code: 'refresh_invalid' });
  });

  it('rehashes a password made with older parameters on the next log-in', async () => {
    const user = (await users.findByEmail('late@example.com'))!;
    // A valid Argon2id hash of `password` at weaker parameters (m=4096, t=3).
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash(password, { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 });
    await users.update(user.id, { passwordHash: weak });
    await auth.login('late@example.com', password, client);
    const after = (await users.findById(user.id))!.passwordHash;
    expect(after).not.toBe(weak);
    expect(after).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('purges sessions ended over 30 days ago, keeping live ones', async () => {
    const live = await auth.login('late@example.com', password, client);
    const ended = await auth.login('late@example.com', password, client);
    await auth.logout(ended.refreshToken);
    advance(31 * 86_400_000);
    const fresh = await auth.login('late@example.com', password, client);
    await repo.purgeEnded(now);
    expect(await repo.findRefreshToken(tokenDigest(ended.refreshToken))).toBeUndefined();
    // Expired 24 days ago: kept for now (the cut-off is 30 days after the end).
    expect(await repo.findRefreshToken(tokenDigest(live.refreshToken))).toBeDefined();
    expect(await repo.findRefreshToken(tokenDigest(fresh.refreshToken))).toBeDefined();
  });
});

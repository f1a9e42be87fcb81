import { AppError } from '../app-error.js';
import type { NotificationService } from '../notifications/service.js';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../users/passwords.js';
import type { UserRepository, UserRow } from '../users/repository.js';
import { toMeView, type MeView } from '../users/views.js';
import type { AccountCache } from './account-cache.js';
import type { LoginGuard } from './login-guard.js';
import { alreadyRegisteredMail, passwordResetMail, verificationMail } from './mails.js';
import type { AuthRepository } from './repository.js';
import { newOpaqueToken, tokenDigest } from './secrets.js';
import type { TokenService } from './tokens.js';

export const VERIFY_EMAIL_TTL_MS = 24 * 3600_000;
export const RESET_PASSWORD_TTL_MS = 3600_000;

export interface AuthSettings {
  publicUrl: string;
  refreshTokenTtlMs: number;
  refreshReuseGraceMs: number;
}

export interface ClientInfo {
  userAgent: string | undefined;
  ip: string | undefined;
}

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  locale: 'ko' | 'en';
  consents: { terms: boolean; privacy: boolean; marketing: boolean };
}

/** What the HTTP layer turns into the `Session` body plus the refresh cookie. */
export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  user: MeView;
  refreshToken: string;
  refreshExpiresAt: Date;
}

type Mailer = Pick<NotificationService, 'sendEmail'>;

function invalidPassword(problem: string): AppError {
  return new AppError(400, 'invalid_password', `The password ${problem}.`);
}

/** Sign-up, e-mail verification, log-in, refresh-token rotation, log-out and password reset. */
export class AuthService {
  /** Compared against when the email is unknown, so a miss costs what a hit costs. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserRepository,
    private readonly auth: AuthRepository,
    private readonly tokens: TokenService,
    private readonly mailer: Mailer,
    private readonly loginGuard: LoginGuard,
    private readonly accountCache: AccountCache,
    private readonly settings: AuthSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Same answer whether or not the email is registered: nobody learns who has an account here. */
  async register(input: RegisterInput): Promise<void> {
    if (!input.consents.terms || !input.consents.privacy) {
      throw new AppError(400, 'consent_required', 'The terms of service and the privacy policy must be accepted.');
    }
    const problem = passwordProblem(input.password);
    if (problem) throw invalidPassword(problem);
    const now = this.now();
    const created = await this.users.insertIfAbsent({
      email: input.email.trim(),
      passwordHash: await hashPassword(input.password),
      displayName: input.displayName.trim(),
      locale: input.locale,
      role: 'student',
      termsAcceptedAt: now,
      privacyAcceptedAt: now,
      marketingConsentAt: input.consents.marketing ? now : null,
    });
    if (created) {
      await this.sendVerification(created);
      return;
    }
    const existing = await this.users.findByEmail(input.email.trim());
    if (!existing || existing.deletedAt) return;
    if (!existing.emailVerifiedAt) await this.sendVerification(existing);
    else {
      await this.mailer.sendEmail({
        to: [existing.email],
        ...alreadyRegisteredMail(existing.displayName, this.settings.publicUrl),
      });
    }
  }

  async resendVerification(email: string): Promise<void> {
    const user = await this.users.findByEmail(email.trim());
    if (user && !user.deletedAt && !user.emailVerifiedAt && user.status === 'active') {
      await this.sendVerification(user);
    }
  }

  /** Confirms a sign-up or applies a pending email change, whichever the token was for. */
  async verifyEmail(token: string): Promise<void> {
    const now = this.now();
    const used = await this.auth.consumeEmailToken(tokenDigest(token), ['verify_email', 'change_email'], now);
    if (!used) throw new AppError(400, 'invalid_token', 'This link is not valid any more. Ask for a new one.');
    if (used.purpose === 'change_email' && used.newEmail) {
      const taken = await this.users.findByEmail(used.newEmail);
      if (taken && taken.id !== used.userId) {
        throw new AppError(409, 'email_taken', 'Another account uses this email address now.');
      }
      await this.users.update(used.userId, { email: used.newEmail, emailVerifiedAt: now });
    } else {
      const user = await this.users.findById(used.userId);
      if (user && !user.emailVerifiedAt) await this.users.update(user.id, { emailVerifiedAt: now });
    }
    await this.accountCache.forgetUser(used.userId);
  }

  async login(email: string, password: string, client: ClientInfo): Promise<IssuedSession> {
    await this.loginGuard.assertNotLocked(email);
    const user = await this.users.findByEmail(email.trim());
    const usable = user && !user.deletedAt ? user : undefined;
    const matches = usable
      ? await verifyPassword(usable.passwordHash, password)
      : await verifyPassword(await this.dummyPasswordHash(), password).then(() => false);
    if (!usable || !matches) {
      await this.loginGuard.recordFailure(email);
      throw new AppError(401, 'invalid_credentials', 'The email or the password is wrong.');
    }
    await this.loginGuard.recordSuccess(email);
    if (needsRehash(usable.passwordHash)) {
      // Parameters were raised since this hash was made: redo it now that we hold the password.
      await this.users.update(usable.id, { passwordHash: await hashPassword(password) });
    }
    // Only after a correct password, so these answers reveal nothing to a guesser.
    if (usable.status !== 'active') {
      throw new AppError(403, 'account_deactivated', 'This account is deactivated.');
    }
    if (!usable.emailVerifiedAt) {
      throw new AppError(403, 'email_not_verified', 'Confirm your email address first; we can send the link again.');
    }
    const now = this.now();
    const session = await this.auth.createSession({
      userId: usable.id,
      userAgent: client.userAgent,
      ip: client.ip,
      expiresAt: new Date(now.getTime() + this.settings.refreshTokenTtlMs),
    });
    const updated = (await this.users.update(usable.id, { lastLoginAt: now })) ?? usable;
    await this.accountCache.forgetUser(usable.id);
    return this.issue(updated, session.id, session.expiresAt);
  }

  /**
   * Rotates the refresh token. A token used twice is either two tabs racing (within the grace
   * window: 409, the browser already holds the newer cookie) or a stolen copy (later: the whole
   * family is revoked, thief and owner both signed out).
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedSession> {
    const found = await this.auth.findRefreshToken(tokenDigest(refreshToken));
    const now = this.now();
    const refused = () => new AppError(401, 'refresh_invalid', 'The session has ended. Sign in again.');
    if (!found) throw refused();
    const { token, session } = found;
    if (session.revokedAt || session.expiresAt <= now || token.expiresAt <= now) throw refused();

    if (!(await this.auth.claimRefreshToken(token.id, now))) {
      const usedAt = (await this.auth.findRefreshToken(token.tokenHash))?.token.usedAt ?? token.usedAt;
      if (usedAt && now.getTime() - usedAt.getTime() <= this.settings.refreshReuseGraceMs) {
        throw new AppError(409, 'refresh_raced', 'Another tab refreshed this session just now; retry.');
      }
      await this.auth.revokeSession(session.userId, session.id, now);
      await this.accountCache.forgetSessions([session.id]);
      throw refused();
    }
    const user = await this.users.findById(session.userId);
    if (!user || user.deletedAt || user.status !== 'active') throw refused();
    await this.auth.touchSession(session.id, now, client.ip);
    return this.issue(user, session.id, session.expiresAt);
  }

  /** Ends the session the refresh token belongs to; an unknown token is already "logged out". */
  async logout(refreshToken: string | undefined): Promise<void> {
    if (!refreshToken) return;
    const found = await this.auth.findRefreshToken(tokenDigest(refreshToken));
    if (!found) return;
    await this.auth.revokeSession(found.session.userId, found.session.id, this.now());
    await this.accountCache.forgetSessions([found.session.id]);
  }

  async forgotPassword(email: string): Promise<void> {
    const user = await this.users.findByEmail(email.trim());
    if (!user || user.deletedAt || user.status !== 'active') return;
    const now = this.now();
    await this.auth.expireEmailTokens(user.id, 'reset_password', now);
    const token = newOpaqueToken();
    await this.auth.insertEmailToken({
      userId: user.id,
      purpose: 'reset_password',
      tokenHash: tokenDigest(token),
      expiresAt: new Date(now.getTime() + RESET_PASSWORD_TTL_MS),
    });
    const link = `${this.settings.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
    await this.mailer.sendEmail({ to: [user.email], ...passwordResetMail(user.displayName, link) });
  }

  /** Single use; signs out every device, since whoever knew the old password may hold one. */
  async resetPassword(token: string, password: string): Promise<void> {
    // Checked before the token is spent, so a rejected password leaves the link usable.
    const problem = passwordProblem(password);
    if (problem) throw invalidPassword(problem);
    const now = this.now();
    const used = await this.auth.consumeEmailToken(tokenDigest(token), ['reset_password'], now);
    if (!used) throw new AppError(400, 'invalid_token', 'This link is not valid any more. Ask for a new one.');
    const user = await this.users.findById(used.userId);
    if (!user) throw new AppError(400, 'invalid_token', 'This link is not valid any more. Ask for a new one.');
    await this.users.update(user.id, {
      passwordHash: await hashPassword(password),
      // Opening the mailed link proves the address as well as a verification link would.
      emailVerifiedAt: user.emailVerifiedAt ?? now,
    });
    const revoked = await this.auth.revokeUserSessions(user.id, now);
    await this.accountCache.forgetSessions(revoked);
    await this.accountCache.forgetUser(user.id);
    await this.loginGuard.unlock(user.email);
  }

  private async issue(user: UserRow, sessionId: string, sessionExpiresAt: Date): Promise<IssuedSession> {
    const refreshToken = newOpaqueToken();
    const refreshExpiresAt = new Date(
      Math.min(sessionExpiresAt.getTime(), this.now().getTime() + this.settings.refreshTokenTtlMs),
    );
    await this.auth.insertRefreshToken({
      sessionId,
      tokenHash: tokenDigest(refreshToken),
      expiresAt: refreshExpiresAt,
    });
    const accessToken = await this.tokens.signAccessToken({ userId: user.id, role: user.role, sessionId });
    return {
      accessToken,
      expiresIn: this.tokens.accessTokenTtlSeconds,
      user: toMeView(user),
      refreshToken,
      refreshExpiresAt,
    };
  }

  private async sendVerification(user: UserRow): Promise<void> {
    const now = this.now();
    await this.auth.expireEmailTokens(user.id, 'verify_email', now);
    const token = newOpaqueToken();
    await this.auth.insertEmailToken({
      userId: user.id,
      purpose: 'verify_email',
      tokenHash: tokenDigest(token),
      expiresAt: new Date(now.getTime() + VERIFY_EMAIL_TTL_MS),
    });
    const link = `${this.settings.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
    await this.mailer.sendEmail({ to: [user.email], ...verificationMail(user.displayName, link) });
  }

  private dummyPasswordHash(): Promise<string> {
    this.dummyHash ??= hashPassword('not-a-real-password-only-for-timing');
    return this.dummyHash;
  }
}

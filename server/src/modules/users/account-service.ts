import { AppError } from '../app-error.js';
import type { AccountCache } from '../auth/account-cache.js';
import { emailChangeMail } from '../auth/mails.js';
import type { AuthRepository } from '../auth/repository.js';
import { newOpaqueToken, tokenDigest } from '../auth/secrets.js';
import { VERIFY_EMAIL_TTL_MS } from '../auth/service.js';
import type { ApplicationRepository } from '../instructor-applications/repository.js';
import { toApplicationView } from '../instructor-applications/service.js';
import type { NotificationService } from '../notifications/service.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import type { UserPatch, UserRepository, UserRow } from './repository.js';
import { toMeView, type MeView } from './views.js';

export interface ProfilePatch {
  displayName?: string;
  locale?: 'ko' | 'en';
  marketingConsent?: boolean;
}

export interface SessionView {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

/**
 * A module that keeps personal data of users (enrollments, wishlist, reviews): its part of the
 * data export, and what it erases when the account is deleted.
 */
export interface PersonalDataHolder {
  exportOf(userId: string): Promise<Record<string, unknown>>;
  eraseOf(userId: string): Promise<void>;
}

/** A signed-in user managing their own account. */
export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly auth: AuthRepository,
    private readonly applications: ApplicationRepository,
    private readonly accountCache: AccountCache,
    private readonly mailer: Pick<NotificationService, 'sendEmail'>,
    private readonly settings: { publicUrl: string },
    private readonly personalData: PersonalDataHolder[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {}

  me(userId: string): Promise<MeView> {
    return this.accountCache.profile(userId, async () => toMeView(await this.liveUser(userId)));
  }

  async updateProfile(userId: string, patch: ProfilePatch): Promise<MeView> {
    const user = await this.liveUser(userId);
    const changes: UserPatch = {};
    if (patch.displayName !== undefined) changes.displayName = patch.displayName.trim();
    if (patch.locale !== undefined) changes.locale = patch.locale;
    if (patch.marketingConsent !== undefined) {
      // Keep the date consent was first given; withdrawing clears it.
      changes.marketingConsentAt = patch.marketingConsent ? (user.marketingConsentAt ?? this.now()) : null;
    }
    const updated = (await this.users.update(userId, changes)) ?? user;
    await this.accountCache.forgetUser(userId);
    return toMeView(updated);
  }

  /** Other devices are signed out; the one changing the password stays in. */
  async changePassword(userId: string, sessionId: string, current: string, next: string): Promise<void> {
    const user = await this.confirmPassword(userId, current);
    const problem = passwordProblem(next);
    if (problem) throw new AppError(400, 'invalid_password', `The password ${problem}.`);
    await this.users.update(user.id, { passwordHash: await hashPassword(next) });
    const revoked = await this.auth.revokeUserSessions(user.id, this.now(), sessionId);
    await this.accountCache.forgetSessions(revoked);
  }

  /** The new address gets a link; the change applies only when it is opened. */
  async changeEmail(userId: string, newEmail: string, password: string): Promise<void> {
    const user = await this.confirmPassword(userId, password);
    const now = this.now();
    await this.auth.expireEmailTokens(user.id, 'change_email', now);
    const token = newOpaqueToken();
    await this.auth.insertEmailToken({
      userId: user.id,
      purpose: 'change_email',
      tokenHash: tokenDigest(token),
      newEmail: newEmail.trim(),
      expiresAt: new Date(now.getTime() + VERIFY_EMAIL_TTL_MS),
    });
    const link = `${this.settings.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
    await this.mailer.sendEmail({ to: [newEmail.trim()], ...emailChangeMail(user.displayName, link) });
  }

  async sessions(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows = await this.auth.listLiveSessions(userId, this.now());
    return rows.map((s) => ({
      id: s.id,
      userAgent: s.userAgent,
      ip: s.ip,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      current: s.id === currentSessionId,
    }));
  }

  async revokeSession(userId: string, sessionId: string): Promise<void> {
    if (!(await this.auth.revokeSession(userId, sessionId, this.now()))) {
      throw new AppError(404, 'session_not_found', 'No such session.');
    }
    await this.accountCache.forgetSessions([sessionId]);
  }

  async deactivate(userId: string, password: string): Promise<void> {
    const user = await this.confirmPassword(userId, password);
    await this.users.update(user.id, { status: 'deactivated' });
    const revoked = await this.auth.revokeUserSessions(user.id, this.now());
    await this.accountCache.forgetUser(user.id);
    await this.accountCache.forgetSessions(revoked);
  }

  /** Everything stored about the user, as the data-portability right asks; no secrets. */
  async exportData(userId: string): Promise<Record<string, unknown>> {
    const user = await this.liveUser(userId);
    const [sessions, applications, ...parts] = await Promise.all([
      this.auth.listLiveSessions(userId, this.now()),
      this.applications.allOf(userId),
      ...this.personalData.map((holder) => holder.exportOf(userId)),
    ]);
    return {
      exportedAt: this.now().toISOString(),
      account: {
        ...toMeView(user),
        status: user.status,
        emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
        termsAcceptedAt: user.termsAcceptedAt?.toISOString() ?? null,
        privacyAcceptedAt: user.privacyAcceptedAt?.toISOString() ?? null,
        marketingConsentAt: user.marketingConsentAt?.toISOString() ?? null,
        lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
        updatedAt: user.updatedAt.toISOString(),
      },
      sessions: sessions.map((s) => ({
        id: s.id,
        userAgent: s.userAgent,
        ip: s.ip,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
      })),
      instructorApplications: applications.map(toApplicationView),
      ...parts.reduce<Record<string, unknown>>((all, part) => ({ ...all, ...part }), {}),
    };
  }

  /**
   * Erases the personal data but keeps the row: orders and reviews point at it and must stay
   * consistent (shown as "(deleted)"). The password hash becomes unusable, so nobody logs in.
   */
  async deleteAccount(userId: string, password: string): Promise<void> {
    const user = await this.confirmPassword(userId, password);
    const sessions = await this.auth.listLiveSessions(user.id, this.now());
    await this.users.update(user.id, {
      email: `deleted-${user.id}@deleted.invalid`,
      displayName: '(deleted)',
      passwordHash: '!deleted',
      status: 'deactivated',
      marketingConsentAt: null,
      lastLoginAt: null,
      deletedAt: this.now(),
    });
    await this.auth.deleteUserData(user.id);
    await this.applications.deleteOf(user.id);
    for (const holder of this.personalData) await holder.eraseOf(user.id);
    await this.accountCache.forgetUser(user.id);
    await this.accountCache.forgetSessions(sessions.map((s) => s.id));
  }

  private async liveUser(userId: string): Promise<UserRow> {
    const user = await this.users.findById(userId);
    if (!user || user.deletedAt) throw new AppError(401, 'invalid_token', 'The access token is not valid.');
    return user;
  }

  private async confirmPassword(userId: string, password: string): Promise<UserRow> {
    const user = await this.liveUser(userId);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new AppError(403, 'wrong_password', 'The current password is wrong.');
    }
    return user;
  }
}

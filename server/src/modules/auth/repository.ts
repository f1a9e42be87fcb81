import { and, desc, eq, gt, inArray, isNull, isNotNull, lt, ne, or } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { authSessions, emailTokens, refreshTokens } from './schema.js';

export type SessionRow = typeof authSessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
export type EmailTokenRow = typeof emailTokens.$inferSelect;
export type EmailTokenPurpose = EmailTokenRow['purpose'];

/** Sessions, refresh tokens and mailed tokens. Everything here reads the primary: it decides access. */
export class AuthRepository {
  constructor(private readonly primary: Db) {}

  async createSession(values: {
    userId: string;
    userAgent: string | undefined;
    ip: string | undefined;
    expiresAt: Date;
  }): Promise<SessionRow> {
    const [row] = await this.primary
      .insert(authSessions)
      .values({ ...values, userAgent: values.userAgent?.slice(0, 400) })
      .returning();
    return row!;
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    const [row] = await this.primary.select().from(authSessions).where(eq(authSessions.id, id));
    return row;
  }

  async touchSession(id: string, at: Date, ip: string | undefined): Promise<void> {
    await this.primary.update(authSessions).set({ lastUsedAt: at, ip }).where(eq(authSessions.id, id));
  }

  async listLiveSessions(userId: string, now: Date): Promise<SessionRow[]> {
    return this.primary
      .select()
      .from(authSessions)
      .where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt), gt(authSessions.expiresAt, now)))
      .orderBy(desc(authSessions.lastUsedAt));
  }

  /** Revokes one of the user's sessions; false when it is not theirs or already revoked. */
  async revokeSession(userId: string, sessionId: string, at: Date): Promise<boolean> {
    const rows = await this.primary
      .update(authSessions)
      .set({ revokedAt: at })
      .where(and(eq(authSessions.id, sessionId), eq(authSessions.userId, userId), isNull(authSessions.revokedAt)))
      .returning({ id: authSessions.id });
    return rows.length > 0;
  }

  /** Revokes every live session of the user but `keep`; returns the ids revoked. */
  async revokeUserSessions(userId: string, at: Date, keep?: string): Promise<string[]> {
    const rows = await this.primary
      .update(authSessions)
      .set({ revokedAt: at })
      .where(
        and(
          eq(authSessions.userId, userId),
          isNull(authSessions.revokedAt),
          keep ? ne(authSessions.id, keep) : undefined,
        ),
      )
      .returning({ id: authSessions.id });
    return rows.map((r) => r.id);
  }

  async insertRefreshToken(values: { sessionId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    await this.primary.insert(refreshTokens).values(values);
  }

  async findRefreshToken(tokenHash: string): Promise<{ token: RefreshTokenRow; session: SessionRow } | undefined> {
    const [row] = await this.primary
      .select({ token: refreshTokens, session: authSessions })
      .from(refreshTokens)
      .innerJoin(authSessions, eq(authSessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash));
    return row;
  }

  /**
   * Claims a refresh token for rotation. Only one caller can win: the update is conditional on
   * the token being unused, so two parallel refreshes cannot both get a successor.
   */
  async claimRefreshToken(id: string, at: Date): Promise<boolean> {
    const rows = await this.primary
      .update(refreshTokens)
      .set({ usedAt: at, replacedAt: at })
      .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt)))
      .returning({ id: refreshTokens.id });
    return rows.length > 0;
  }

  async insertEmailToken(values: {
    userId: string;
    purpose: EmailTokenPurpose;
    tokenHash: string;
    newEmail?: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.primary.insert(emailTokens).values(values);
  }

  /** Uses a mailed token once: unknown, used, expired or of another purpose gives undefined. */
  async consumeEmailToken(
    tokenHash: string,
    purposes: EmailTokenPurpose[],
    at: Date,
  ): Promise<EmailTokenRow | undefined> {
    const [row] = await this.primary
      .update(emailTokens)
      .set({ usedAt: at })
      .where(
        and(
          eq(emailTokens.tokenHash, tokenHash),
          isNull(emailTokens.usedAt),
          gt(emailTokens.expiresAt, at),
          inArray(emailTokens.purpose, purposes),
        ),
      )
      .returning();
    return row;
  }

  /** Earlier links of the same purpose stop working when a new one is mailed or one is used. */
  async expireEmailTokens(userId: string, purpose: EmailTokenPurpose, at: Date): Promise<void> {
    await this.primary
      .update(emailTokens)
      .set({ usedAt: at })
      .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
  }

  async deleteUserData(userId: string): Promise<void> {
    await this.primary.delete(authSessions).where(eq(authSessions.userId, userId));
    await this.primary.delete(emailTokens).where(eq(emailTokens.userId, userId));
  }

  /** Sessions ended (revoked or expired) over 30 days ago, with their tokens; links dead for 7 days. */
  async purgeEnded(now: Date): Promise<void> {
    const sessionCutoff = new Date(now.getTime() - 30 * 86_400_000);
    const linkCutoff = new Date(now.getTime() - 7 * 86_400_000);
    await this.primary
      .delete(authSessions)
      .where(
        or(
          and(isNotNull(authSessions.revokedAt), lt(authSessions.revokedAt, sessionCutoff)),
          lt(authSessions.expiresAt, sessionCutoff),
        ),
      );
    await this.primary.delete(emailTokens).where(lt(emailTokens.expiresAt, linkCutoff));
  }
}

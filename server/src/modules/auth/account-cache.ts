import { cached, cachedMany, type CacheFailureLog } from '../../platform/cache/cached.js';
import type { CachePort } from '../../platform/cache/port.js';
import type { UserRole } from '../users/service.js';
import type { AuthRepository } from './repository.js';
import type { UserRepository } from '../users/repository.js';

export interface UserAccessState {
  exists: boolean;
  status: 'active' | 'deactivated';
  role: UserRole;
}

/**
 * What every authenticated request checks (is the user still active, is the session still live),
 * cached briefly because it is asked on every call, and forgotten the moment it changes, so
 * deactivating or revoking takes effect at once. With the cache down the database answers.
 */
export class AccountCache {
  static readonly ACCESS_TTL_SECONDS = 30;
  /** The design's profile TTL. */
  static readonly PROFILE_TTL_SECONDS = 30 * 60;

  constructor(
    private readonly cache: CachePort,
    private readonly users: UserRepository,
    private readonly auth: AuthRepository,
    private readonly log?: CacheFailureLog,
  ) {}

  /**
   * The user's access state and whether the session is live, both read from the cache at once
   * (every authenticated request asks both; one command instead of two).
   */
  access(userId: string, sessionId: string): Promise<[UserAccessState, boolean]> {
    const ttlSeconds = AccountCache.ACCESS_TTL_SECONDS;
    return cachedMany<[UserAccessState, boolean]>(
      this.cache,
      [
        { key: `access:user:${userId}`, ttlSeconds, load: () => this.loadUserAccess(userId) },
        { key: `access:session:${sessionId}`, ttlSeconds, load: () => this.loadSessionLive(sessionId) },
      ],
      this.log,
    );
  }

  private async loadUserAccess(userId: string): Promise<UserAccessState> {
    const user = await this.users.findById(userId);
    return user && !user.deletedAt
      ? { exists: true, status: user.status, role: user.role }
      : { exists: false, status: 'deactivated', role: 'student' };
  }

  private async loadSessionLive(sessionId: string): Promise<boolean> {
    const session = await this.auth.findSession(sessionId);
    return Boolean(session && !session.revokedAt && session.expiresAt.getTime() > Date.now());
  }

  profile<T>(userId: string, load: () => Promise<T>): Promise<T> {
    return cached(this.cache, `profile:${userId}`, AccountCache.PROFILE_TTL_SECONDS, load, this.log);
  }

  /** After any change to the user: status, role, profile. */
  async forgetUser(userId: string): Promise<void> {
    await this.forget(`access:user:${userId}`, `profile:${userId}`);
  }

  async forgetSessions(sessionIds: string[]): Promise<void> {
    if (sessionIds.length) await this.forget(...sessionIds.map((id) => `access:session:${id}`));
  }

  private async forget(...keys: string[]): Promise<void> {
    try {
      await this.cache.delete(...keys);
    } catch (error) {
      // The entries expire within ACCESS_TTL_SECONDS anyway; the change itself is in the database.
      this.log?.warn({ err: error, keys }, 'cache invalidation failed');
    }
  }
}

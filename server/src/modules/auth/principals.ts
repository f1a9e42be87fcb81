import { AppError } from '../app-error.js';
import type { Actor } from '../access/permissions.js';
import type { AccountCache } from './account-cache.js';
import type { TokenService } from './tokens.js';

/** The authenticated caller of a request. */
export interface Principal extends Actor {
  sessionId: string;
}

/**
 * Turns a bearer token into a principal. The signature alone is not enough: a deactivated user
 * or a revoked session must lose access at once, not when the token expires, so the account and
 * session state are checked on every request (through a short cache that is cleared on change).
 */
export class PrincipalService {
  constructor(
    private readonly tokens: TokenService,
    private readonly accountCache: AccountCache,
  ) {}

  async authenticate(accessToken: string): Promise<Principal> {
    const claims = await this.tokens.verifyAccessToken(accessToken);
    const [user, sessionLive] = await this.accountCache.access(claims.userId, claims.sessionId);
    if (!user.exists) throw new AppError(401, 'invalid_token', 'The access token is not valid.');
    if (user.status !== 'active') throw new AppError(401, 'account_deactivated', 'This account is deactivated.');
    if (!sessionLive) throw new AppError(401, 'session_revoked', 'This session has been signed out.');
    // The current role, not the one in the token: a demotion applies at once too.
    return { userId: claims.userId, role: user.role, sessionId: claims.sessionId };
  }
}

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import type { SigningKey } from '../../config.js';
import type { UserRole } from '../users/service.js';
import { AppError } from '../app-error.js';

export const TOKEN_ISSUER = 'lectio';
export const TOKEN_AUDIENCE = 'lectio-api';
/** About 5 MB of tokens at most: more signed-in clients than one API process serves at once. */
const VERIFIED_TOKENS_MAX = 10_000;

export interface AccessClaims {
  userId: string;
  role: UserRole;
  sessionId: string;
}

/**
 * With no JWT_SIGNING_KEYS (embedded/dev only; config requires them in production) the key is
 * derived from the app secret, so tokens survive restarts without anything to configure.
 */
export function deriveLocalSigningKey(appSecret: string): SigningKey {
  return { kid: 'local-1', secret: createHmac('sha256', appSecret).update('jwt').digest('hex') };
}

/** Access tokens: HS256 JWTs signed with the first key, verified by whichever key the `kid` names. */
export class TokenService {
  private readonly keys: Map<string, KeyObject>;
  private readonly signingKid: string;
  /**
   * Tokens already verified, by their exact text, until they expire: a client sends the same
   * token with every request for its whole lifetime, and checking the HMAC again (WebCrypto, a
   * key import and a thread-pool job each time) was the largest cost of an authenticated request.
   * The answer for a given text cannot change while the keys are the same (they are fixed for the
   * life of this object); account and session state are still checked on every request.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    keys: SigningKey[],
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!keys[0]) throw new Error('TokenService needs at least one signing key');
    this.signingKid = keys[0].kid;
    this.keys = new Map(keys.map((k) => [k.kid, createSecretKey(Buffer.from(k.secret, 'utf8'))]));
  }

  get accessTokenTtlSeconds(): number {
    return this.ttlSeconds;
  }

  async signAccessToken(claims: AccessClaims): Promise<string> {
    const nowSeconds = Math.floor(this.now() / 1000);
    return new SignJWT({ role: claims.role, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', kid: this.signingKid, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.ttlSeconds)
      .sign(this.keys.get(this.signingKid)!);
  }

  /** Throws AppError 401 `token_expired` for an expired token and `invalid_token` for anything else. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (this.now() < known.expiresAtMs) return { ...known.claims };
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          // A retired or unknown kid is simply not found: the token is as good as forged.
          const key = header.kid ? this.keys.get(header.kid) : undefined;
          if (!key) throw new errors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat'],
          currentDate: new Date(this.now()),
        },
      );
      const role = payload.role;
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.sid !== 'string' ||
        (role !== 'student' && role !== 'instructor' && role !== 'admin')
      ) {
        throw new AppError(401, 'invalid_token', 'The access token is not valid.');
      }
      const claims: AccessClaims = { userId: payload.sub, role, sessionId: payload.sid };
      // Bounded: the oldest entry goes first (a Map iterates in insertion order).
      if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { claims, expiresAtMs: payload.exp! * 1000 });
      return { ...claims };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new AppError(401, 'token_expired', 'The access token has expired; refresh it.');
      }
      throw new AppError(401, 'invalid_token', 'The access token is not valid.');
    }
  }
}

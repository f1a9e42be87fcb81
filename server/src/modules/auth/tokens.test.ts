import { SignJWT, UnsecuredJWT } from 'jose';
import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveLocalSigningKey, TokenService } from './tokens.js';

const current = { kid: 'k2', secret: 'b'.repeat(40) };
const retired = { kid: 'k1', secret: 'a'.repeat(40) };
const claims = { userId: '6f1c3c52-7a43-4d8e-9a0f-0d1f3f2d8e11', role: 'student' as const, sessionId: 's-1' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
}

describe('TokenService', () => {
  it('signs with the first key and verifies its own tokens', async () => {
    const tokens = new TokenService([current, retired], 900);
    const token = await tokens.signAccessToken(claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string };
    expect(header.kid).toBe('k2');
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
  });

  it('accepts a token of a key still listed after rotation, refuses one whose key was retired', async () => {
    const before = new TokenService([retired], 900);
    const token = await before.signAccessToken(claims);
    expect(await new TokenService([current, retired], 900).verifyAccessToken(token)).toEqual(claims);
    expect(await codeOf(new TokenService([current], 900).verifyAccessToken(token))).toBe('invalid_token');
  });

  it('refuses a tampered token', async () => {
    const tokens = new TokenService([current], 900);
    const [header, payload, signature] = (await tokens.signAccessToken(claims)).split('.');
    const body = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...body, role: 'admin' })).toString('base64url');
    expect(await codeOf(tokens.verifyAccessToken(`${header}.${forged}.${signature}`))).toBe('invalid_token');
    expect(await codeOf(tokens.verifyAccessToken('not-a-jwt'))).toBe('invalid_token');
  });

  it('refuses alg none', async () => {
    const tokens = new TokenService([current], 900);
    const unsigned = new UnsecuredJWT({ role: 'admin', sid: 's-1' })
      .setSubject(claims.userId)
      .setIssuer('lectio')
      .setAudience('lectio-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    expect(await codeOf(tokens.verifyAccessToken(unsigned))).toBe('invalid_token');
  });

  it('refuses another issuer or audience even with the right key', async () => {
    const tokens = new TokenService([current], 900);
    const other = await new SignJWT({ role: 'student', sid: 's-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k2' })
      .setSubject(claims.userId)
      .setIssuer('someone-else')
      .setAudience('lectio-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(createSecretKey(Buffer.from(current.secret)));
    expect(await codeOf(tokens.verifyAccessToken(other))).toBe('invalid_token');
  });

  it('answers token_expired once the lifetime has passed', async () => {
    let now = Date.UTC(2026, 0, 1);
    const tokens = new TokenService([current], 900, () => now);
    const token = await tokens.signAccessToken(claims);
    now += 899_000;
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
    now += 2_000;
    expect(await codeOf(tokens.verifyAccessToken(token))).toBe('token_expired');
  });

  it('derives a stable local key from the app secret', () => {
    expect(deriveLocalSigningKey('s'.repeat(32))).toEqual(deriveLocalSigningKey('s'.repeat(32)));
    expect(deriveLocalSigningKey('s'.repeat(32)).secret).not.toContain('s'.repeat(32));
  });
});

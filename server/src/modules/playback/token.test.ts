import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signedMediaPath, signPlaybackToken, verifyPlaybackPath, type PlaybackVerdict } from './token.js';
import { buildVectors, renderUrl, type PlaybackTokenVectors, type VectorCase } from './token-vectors.generate.js';

const vectors = JSON.parse(
  readFileSync(new URL('./token-vectors.json', import.meta.url), 'utf8'),
) as PlaybackTokenVectors;

/** What the app's media route hands to verifyPlaybackPath: the path, without the query string. */
const pathOf = (url: string) => url.split('?')[0] ?? url;

function expected(testCase: VectorCase): PlaybackVerdict {
  const e = testCase.expect;
  if (!e.ok) return { ok: false, reason: e.reason };
  return {
    ok: true,
    claims: { videoId: e.videoId, uid: e.uid, expiresAt: e.expiresAt },
    objectPath: e.objectPath,
    rest: e.rest,
  };
}

describe('playback token vectors', () => {
  it('cover valid grants and every kind of refusal', () => {
    const reasons = new Set(vectors.cases.map((c) => (c.expect.ok ? 'ok' : c.expect.reason)));
    expect([...reasons].sort()).toEqual(['bad_signature', 'expired', 'malformed', 'ok']);
    expect(vectors.cases.length).toBeGreaterThanOrEqual(20);
  });

  it('are what the generator makes, and each URL is its recipe rendered at `now`', () => {
    // A hand edit of the JSON that its recipe no longer produces would fool the nginx test, which re-renders.
    expect(buildVectors()).toEqual(vectors);
    for (const testCase of vectors.cases) expect(renderUrl(vectors, testCase, vectors.now)).toBe(testCase.url);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(verifyPlaybackPath(vectors.key, pathOf(testCase.url), vectors.now)).toEqual(expected(testCase));
  });

  it('signs every valid vector exactly as the vectors do', () => {
    for (const testCase of vectors.cases) {
      const e = testCase.expect;
      if (!e.ok) continue;
      const path = signedMediaPath(vectors.key, { videoId: e.videoId, uid: e.uid, expiresAt: e.expiresAt }, e.rest);
      expect(path).toBe(pathOf(testCase.url));
    }
  });
});

describe('signPlaybackToken / verifyPlaybackPath', () => {
  const key = 'a-key-for-the-round-trip-0123456789abcdef';
  const claims = { videoId: '0b7f3c2e-1a2b-4c3d-8e9f-a0b1c2d3e4f5', uid: 'anonymous', expiresAt: 1_800_000_000 };

  it('round-trips: a signed path verifies to its claims and the path without the token', () => {
    const path = signedMediaPath(key, claims, 'vabc/480p/seg_00007.ts');
    expect(path).toMatch(/^\/media\/p\/1800000000\.anonymous\.[A-Za-z0-9_-]{43}\/videos\//);
    expect(verifyPlaybackPath(key, path, claims.expiresAt - 1)).toEqual({
      ok: true,
      claims,
      objectPath: `/videos/${claims.videoId}/vabc/480p/seg_00007.ts`,
      rest: 'vabc/480p/seg_00007.ts',
    });
    expect(verifyPlaybackPath(key, path, claims.expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyPlaybackPath(`${key}x`, path, 0)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('one token opens every file of its video', () => {
    const token = signPlaybackToken(key, claims);
    for (const rest of ['v1/master.m3u8', 'v2/1080p/seg_00001.ts', 'captions/x.vtt', 'poster.jpg']) {
      expect(verifyPlaybackPath(key, `/media/p/${token}/videos/${claims.videoId}/${rest}`, 0).ok).toBe(true);
    }
  });

  it('refuses to sign what no verifier would accept', () => {
    expect(() => signPlaybackToken(key, { ...claims, videoId: claims.videoId.toUpperCase() })).toThrow(/video id/);
    expect(() => signPlaybackToken(key, { ...claims, uid: 'a.b' })).toThrow(/uid/);
    expect(() => signPlaybackToken(key, { ...claims, uid: 'u'.repeat(65) })).toThrow(/uid/);
    expect(() => signPlaybackToken(key, { ...claims, expiresAt: 1.5 })).toThrow(/expiresAt/);
    expect(() => signPlaybackToken(key, { ...claims, expiresAt: 0 })).toThrow(/expiresAt/);
    expect(() => signPlaybackToken(key, { ...claims, expiresAt: 1e12 })).toThrow(/expiresAt/);
  });
});

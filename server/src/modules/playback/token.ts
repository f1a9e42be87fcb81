import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Playback tokens: the one format the app's media route, the nginx edge (njs) and the CloudFront
 * Function all check, with no database or API call. Keep the three in step; they are tested
 * against the same vectors (`token-vectors.json`).
 *
 * A signed URL looks like
 *
 *     /media/p/<exp>.<uid>.<sig>/videos/<videoId>/<version>/720p/seg_00001.ts
 *
 * - `exp`: expiry, Unix seconds (1–12 digits, no leading zero: one claim has one spelling, which the
 *   edge verifiers sign as written);
 * - `uid`: who it was granted to (a user id, or `anonymous` for a public free preview), 1–64 of
 *   `[A-Za-z0-9-]`;
 * - `sig`: base64url without padding of HMAC-SHA256(key, `<prefix>\n<exp>\n<uid>`), where prefix is
 *   `/videos/<videoId>/`: one grant opens every file of that video (every version, its captions,
 *   poster and storyboard) and nothing else.
 *
 * The token sits in the path, not the query, so the relative URLs inside playlists carry it to
 * every segment, including in Safari's native HLS player, which cannot add headers. Everything
 * after the token is the cache key: every student's token maps to the same cached file.
 */

export const PLAYBACK_PATH_PREFIX = '/media/p/';

/**
 * `<exp>.<uid>.<sig>/videos/<uuid>/<rest>` after `/media/p/`. `rest` is 1–4 plain names that never
 * start with a dot, so no `..`, empty or encoded segment can step outside the signed prefix.
 */
const SIGNED_PATH =
  /^\/media\/p\/([1-9][0-9]{0,11})\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{43})(\/videos\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/((?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\/){0,3}[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}))$/;
const UID = /^[A-Za-z0-9-]{1,64}$/;
const VIDEO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PlaybackTokenClaims {
  videoId: string;
  /** Unix seconds. */
  expiresAt: number;
  uid: string;
}

export type PlaybackVerdict =
  | {
      ok: true;
      claims: PlaybackTokenClaims;
      /** `/videos/<videoId>/<rest>`: the path with the token removed, i.e. the cache key. */
      objectPath: string;
      /** `<rest>` after the video id, e.g. `v1ab/720p/seg_00001.ts`. */
      rest: string;
    }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function videoPathPrefix(videoId: string): string {
  return `/videos/${videoId}/`;
}

function signature(key: string, videoId: string, expiresAt: number, uid: string): string {
  return createHmac('sha256', key)
    .update(`${videoPathPrefix(videoId)}\n${expiresAt}\n${uid}`)
    .digest('base64url');
}

/** The path segment after `/media/p/`: `<exp>.<uid>.<sig>`. */
export function signPlaybackToken(key: string, claims: PlaybackTokenClaims): string {
  if (!VIDEO_ID.test(claims.videoId)) throw new Error('playback token: video id must be a lowercase uuid');
  if (!UID.test(claims.uid)) throw new Error('playback token: uid must be 1-64 of [A-Za-z0-9-]');
  if (!Number.isSafeInteger(claims.expiresAt) || claims.expiresAt <= 0 || claims.expiresAt >= 1e12) {
    throw new Error('playback token: expiresAt must be positive Unix seconds');
  }
  return `${claims.expiresAt}.${claims.uid}.${signature(key, claims.videoId, claims.expiresAt, claims.uid)}`;
}

/** `/media/p/<token>/videos/<videoId>/<rest>`. */
export function signedMediaPath(key: string, claims: PlaybackTokenClaims, rest: string): string {
  return `${PLAYBACK_PATH_PREFIX}${signPlaybackToken(key, claims)}${videoPathPrefix(claims.videoId)}${rest}`;
}

/**
 * Checks a request path (no query string). Expiry is checked after the signature so a forged
 * token learns nothing about timing; `nowSeconds` is injectable for the shared vectors.
 */
export function verifyPlaybackPath(key: string, path: string, nowSeconds: number): PlaybackVerdict {
  const match = SIGNED_PATH.exec(path);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, exp, uid, sig, objectPath, videoId, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const expiresAt = Number(exp);
  const expected = Buffer.from(signature(key, videoId, expiresAt, uid));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  if (nowSeconds >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { videoId, expiresAt, uid }, objectPath, rest };
}

/**
 * The key every signer and checker of this deployment uses: PLAYBACK_SIGNING_KEY, which production
 * shares with the edge; else one derived from the app secret, so an embedded install signs and
 * checks its own URLs with nothing configured.
 */
export function playbackSigningKey(
  config: { playback: { signingKey: string | undefined } },
  appSecret: string,
): string {
  return config.playback.signingKey ?? createHmac('sha256', appSecret).update('playback').digest('hex');
}

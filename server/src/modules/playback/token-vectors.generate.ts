import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared playback-token vectors (token-vectors.json): every verifier (token.ts, the nginx edge,
 * the CloudFront Function) must give each URL the expected verdict at the vectors' `now`.
 *
 * Signatures here are computed from the format's definition, not with token.ts, so the vectors
 * check token.ts rather than echo it. Each case also keeps its recipe (which grant, which
 * alteration, which URL around the token): the nginx test, which cannot stop nginx's clock, renders
 * the same cases again around the real time; the unit test checks that rendering at `now` gives
 * exactly the committed URLs. Regenerate (only when adding cases) with
 *
 *     npx tsx server/src/modules/playback/token-vectors.generate.ts && npx prettier --write server/src/modules/playback/token-vectors.json
 */

export type Reason = 'malformed' | 'bad_signature' | 'expired';

export interface VectorGrant {
  videoId: string;
  uid: string;
  /** Expiry relative to `now`, in seconds. */
  expiresIn: number;
  /** `other`: signed with `otherKey`, i.e. forged. */
  key?: 'other';
  /** Changed after signing: one signature character, exp + 1, another uid, or exp written with a leading zero. */
  alter?: 'sig' | 'exp' | 'uid' | 'exp_leading_zero';
}

export interface VectorCase {
  name: string;
  /** The request target, `{token}` standing for the grant's token. */
  template: string;
  grant?: VectorGrant;
  /** `template` rendered at the vectors' `now`. */
  url: string;
  expect:
    | { ok: true; objectPath: string; videoId: string; uid: string; expiresAt: number; rest: string }
    | { ok: false; reason: Reason };
}

export interface PlaybackTokenVectors {
  description: string;
  key: string;
  otherKey: string;
  /** Unix seconds. */
  now: number;
  cases: VectorCase[];
}

const KEY = 'lectio-playback-vectors-key-2026-0123456789abcdef';
const OTHER_KEY = 'someone-elses-key-that-is-long-enough-0123456789';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const VIDEO_A = '3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01';
const VIDEO_B = '9b1e4d7a-2c3f-4e5a-8b6c-7d8e9f0a1b2c';
const USER = 'a3d5c7e9-1b2d-4f6a-8c0e-2a4b6c8d0e1f';
const OTHER_USER = '5e0c1d2b-7a8f-4b3c-9d6e-1f2a3b4c5d6e';
const CAPTION = 'c0a80101-0000-4000-8000-00000000cafe';
const VERSION = 'vmi4k2x9c0ffee12';

function signature(key: string, videoId: string, exp: string, uid: string): string {
  return createHmac('sha256', key).update(`/videos/${videoId}/\n${exp}\n${uid}`).digest('base64url');
}

/** The token a case's grant stands for, at time `now`. */
export function renderToken(
  vectors: Pick<PlaybackTokenVectors, 'key' | 'otherKey'>,
  grant: VectorGrant,
  now: number,
): string {
  const exp = String(now + grant.expiresIn);
  let sig = signature(grant.key === 'other' ? vectors.otherKey : vectors.key, grant.videoId, exp, grant.uid);
  let shownExp = exp;
  let shownUid = grant.uid;
  if (grant.alter === 'sig') sig = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
  if (grant.alter === 'exp') shownExp = String(Number(exp) + 1);
  if (grant.alter === 'exp_leading_zero') shownExp = `0${exp}`;
  if (grant.alter === 'uid') shownUid = grant.uid === USER ? OTHER_USER : USER;
  return `${shownExp}.${shownUid}.${sig}`;
}

export function renderUrl(
  vectors: Pick<PlaybackTokenVectors, 'key' | 'otherKey'>,
  testCase: Pick<VectorCase, 'template' | 'grant'>,
  now: number,
): string {
  if (!testCase.grant) return testCase.template;
  return testCase.template.replace('{token}', renderToken(vectors, testCase.grant, now));
}

const base = (videoId: string) => `/media/p/{token}/videos/${videoId}/`;
const hour = 3600;

function valid(name: string, grant: VectorGrant, rest: string, query = ''): Omit<VectorCase, 'url'> {
  return {
    name,
    template: `${base(grant.videoId)}${rest}${query}`,
    grant,
    expect: {
      ok: true,
      objectPath: `/videos/${grant.videoId}/${rest}`,
      videoId: grant.videoId,
      uid: grant.uid,
      expiresAt: NOW + grant.expiresIn,
      rest,
    },
  };
}

function refused(name: string, template: string, reason: Reason, grant?: VectorGrant): Omit<VectorCase, 'url'> {
  return { name, template, ...(grant ? { grant } : {}), expect: { ok: false, reason } };
}

export function buildVectors(): PlaybackTokenVectors {
  const a: VectorGrant = { videoId: VIDEO_A, uid: USER, expiresIn: hour };
  const cases: Omit<VectorCase, 'url'>[] = [
    valid('master playlist', a, `${VERSION}/master.m3u8`),
    valid('rendition playlist', a, `${VERSION}/720p/index.m3u8`),
    valid('segment under a version and rendition', a, 'v1/720p/seg_00001.ts'),
    valid('caption file', a, `captions/${CAPTION}.vtt`),
    valid('anonymous free preview: poster', { ...a, uid: 'anonymous' }, `${VERSION}/poster.jpg`),
    valid('storyboard sprite', a, `${VERSION}/storyboard.jpg`),
    valid(
      'another video, user and version',
      { videoId: VIDEO_B, uid: OTHER_USER, expiresIn: 2 * hour },
      'v2/1080p/seg_00042.ts',
    ),
    valid('deepest path allowed: four names', a, `${VERSION}/1080p/init/seg_00001.m4s`),
    valid('last second before expiry', { ...a, expiresIn: 1 }, `${VERSION}/master.m3u8`),
    valid('uid of 64 characters', { ...a, uid: 'u'.repeat(64) }, `${VERSION}/master.m3u8`),
    valid('query string is not part of the path', a, `${VERSION}/360p/seg_00002.ts`, '?_HLS_msn=2&token=ignored'),

    refused('altered signature', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'bad_signature', { ...a, alter: 'sig' }),
    refused('altered expiry', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'bad_signature', { ...a, alter: 'exp' }),
    refused('altered uid', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'bad_signature', { ...a, alter: 'uid' }),
    refused('grant for video A on video B', `${base(VIDEO_B)}v2/1080p/seg_00042.ts`, 'bad_signature', a),
    refused('signed with another key', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'bad_signature', { ...a, key: 'other' }),
    refused('forged and expired: the signature is checked first', `${base(VIDEO_A)}v1/master.m3u8`, 'bad_signature', {
      ...a,
      key: 'other',
      expiresIn: -hour,
    }),
    refused('expired one second ago', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'expired', { ...a, expiresIn: -1 }),
    refused('exactly at expiry', `${base(VIDEO_A)}v1/720p/seg_00001.ts`, 'expired', { ...a, expiresIn: 0 }),
    refused('dot-dot segment to another video', `${base(VIDEO_A)}../${VIDEO_B}/v2/master.m3u8`, 'malformed', a),
    refused('dot-dot inside the rest', `${base(VIDEO_A)}v1/../../${VIDEO_B}/v2/master.m3u8`, 'malformed', a),
    refused('percent-encoded dot-dot', `${base(VIDEO_A)}%2e%2e/${VIDEO_B}/v2/master.m3u8`, 'malformed', a),
    refused('percent-encoded slash', `${base(VIDEO_A)}v1%2F720p%2Fseg_00001.ts`, 'malformed', a),
    refused('double slash', `${base(VIDEO_A)}v1//720p/seg_00001.ts`, 'malformed', a),
    refused('single-dot segment', `${base(VIDEO_A)}v1/./master.m3u8`, 'malformed', a),
    refused('name starting with a dot', `${base(VIDEO_A)}v1/.env`, 'malformed', a),
    refused('empty rest', base(VIDEO_A), 'malformed', a),
    refused('trailing slash', `${base(VIDEO_A)}v1/720p/`, 'malformed', a),
    refused('too deep: five names', `${base(VIDEO_A)}v1/a/b/c/seg_00001.ts`, 'malformed', a),
    refused('uppercase video id', `${base(VIDEO_A.toUpperCase())}v1/master.m3u8`, 'malformed', a),
    refused('missing token', `/media/p/videos/${VIDEO_A}/v1/master.m3u8`, 'malformed'),
    refused('token in the query string', `/media/p/videos/${VIDEO_A}/v1/master.m3u8?token={token}`, 'malformed', a),
    refused('expiry with a leading zero', `${base(VIDEO_A)}v1/master.m3u8`, 'malformed', {
      ...a,
      alter: 'exp_leading_zero',
    }),
    refused('padded signature', `/media/p/{token}=/videos/${VIDEO_A}/v1/master.m3u8`, 'malformed', a),
    refused('uid of 65 characters', `${base(VIDEO_A)}v1/master.m3u8`, 'malformed', { ...a, uid: 'u'.repeat(65) }),
    refused('not a video path', `/media/p/{token}/thumbnails/${VIDEO_A}/v1/master.m3u8`, 'malformed', a),
  ];
  const vectors = { key: KEY, otherKey: OTHER_KEY };
  return {
    description:
      'Playback token vectors shared by token.ts, deploy/nginx/playback-token.js and infra/cloudfront/playback-token-function.js. Generated by token-vectors.generate.ts; `url` is `template` rendered at `now`.',
    ...vectors,
    now: NOW,
    cases: cases.map((c) => ({ ...c, url: renderUrl(vectors, c, NOW) })),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('./token-vectors.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(buildVectors(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}

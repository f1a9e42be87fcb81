/*
 * Lectio playback tokens at the nginx edge (njs, Debian's libnginx-mod-http-js; written for njs
 * 0.7+). The same check as server/src/modules/playback/token.ts and the CloudFront Function in
 * infra/cloudfront/, tested against the same vectors (server/test/playback-edge.test.ts):
 *
 *   /media/p/<exp>.<uid>.<sig>/videos/<videoId>/<rest>
 *   sig = base64url(HMAC-SHA256(key, "/videos/<videoId>/\n<exp>\n<uid>"))
 *
 * The raw request target ($request_uri) is checked, not nginx's normalised $uri: `..`, `%2e`, `//`
 * must be refused exactly as the app refuses them, never resolved first into something that passes.
 * The key comes from the PLAYBACK_SIGNING_KEY environment variable (`env PLAYBACK_SIGNING_KEY;` in
 * nginx.conf's main context); without it every request is refused.
 */
import crypto from 'crypto';

const SIGNED_PATH =
  /^\/media\/p\/([1-9][0-9]{0,11})\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{43})(\/videos\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/((?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\/){0,3}[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}))$/;
/** The app refuses shorter keys (config.ts); a short or missing key here must not open anything. */
const MIN_KEY_LENGTH = 32;

function requestPath(r) {
  const target = r.variables.request_uri || '';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** Every character is compared, so the time taken says nothing about where a forgery goes wrong. */
function sameString(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function parse(path) {
  const match = SIGNED_PATH.exec(path);
  // PCRE's `$` also matches before a final newline: the whole path must be what matched.
  return match && match[0] === path ? match : null;
}

/**
 * `{ reason }` for a refusal ('malformed' | 'bad_signature' | 'expired'), else `{ objectPath }`.
 * Expiry is checked after the signature, as in token.ts, so a forged token learns nothing more.
 */
function check(key, path, nowSeconds) {
  const match = parse(path);
  if (!match) return { reason: 'malformed' };
  const exp = match[1];
  const uid = match[2];
  const videoId = match[5];
  const expected = crypto
    .createHmac('sha256', key)
    .update('/videos/' + videoId + '/\n' + exp + '\n' + uid)
    .digest('base64url');
  if (!sameString(match[3], expected)) return { reason: 'bad_signature' };
  if (nowSeconds >= Number(exp)) return { reason: 'expired' };
  return { objectPath: match[4] };
}

function signingKey(r) {
  // nginx hands workers only the variables named by `env`; this is the one place the key is read.
  // eslint-disable-next-line no-restricted-properties
  const key = process.env.PLAYBACK_SIGNING_KEY || '';
  if (key.length < MIN_KEY_LENGTH) {
    r.error('PLAYBACK_SIGNING_KEY is missing or shorter than ' + MIN_KEY_LENGTH + ' characters: refusing playback');
    return null;
  }
  return key;
}

/** js_set $lectio_playback_denied: empty when the request may pass, else why it may not. */
function denied(r) {
  const key = signingKey(r);
  if (key === null) return 'bad_signature';
  const verdict = check(key, requestPath(r), Math.floor(Date.now() / 1000));
  return verdict.reason || '';
}

/**
 * js_set $lectio_playback_object: `/videos/<videoId>/<rest>`, the path without its token, used as
 * the cache key so every viewer's token maps to one cached file. Only read once `denied` is empty.
 */
function objectPath(r) {
  const match = parse(requestPath(r));
  return match ? match[4] : '';
}

export default { denied, objectPath, check };

/*
 * Lectio playback tokens at CloudFront: a viewer-request function (runtime cloudfront-js-2.0) on
 * the distribution's /media/p/* behaviour. The same check as server/src/modules/playback/token.ts
 * and the nginx edge (deploy/nginx/playback-token.js), tested against the same vectors
 * (server/test/playback-edge.test.ts):
 *
 *   /media/p/<exp>.<uid>.<sig>/videos/<videoId>/<rest>
 *   sig = base64url(HMAC-SHA256(key, "/videos/<videoId>/\n<exp>\n<uid>"))
 *
 * A refused request gets 403 from the edge. An accepted one has its URI rewritten to
 * /<videoId>/<rest>, the object's key in the private videos-processed bucket (the behaviour's
 * origin, reached through origin access control): the token is gone from the URI, so it is gone
 * from the cache key, and every student's URL for a segment is one cached object.
 *
 * The key is not in this file: build-playback-function.ts replaces the placeholder below when the
 * function is deployed. The placeholder is shorter than any accepted key, so an unbuilt copy
 * refuses everything.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime's module loader is require().
const crypto = require('crypto');

const SIGNING_KEY = '@@PLAYBACK_SIGNING_KEY@@';
const MIN_KEY_LENGTH = 32;
const SIGNED_PATH =
  /^\/media\/p\/([1-9][0-9]{0,11})\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{43})(\/videos\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/((?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\/){0,3}[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}))$/;

/** Every character is compared, so the time taken says nothing about where a forgery goes wrong. */
function sameString(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** `{ reason }` for a refusal, else the match. Expiry after the signature, as in token.ts. */
function check(path, nowSeconds) {
  const match = SIGNED_PATH.exec(path);
  if (!match || match[0] !== path) return { reason: 'malformed' };
  if (SIGNING_KEY.length < MIN_KEY_LENGTH) return { reason: 'bad_signature' };
  const expected = crypto
    .createHmac('sha256', SIGNING_KEY)
    .update('/videos/' + match[5] + '/\n' + match[1] + '\n' + match[2])
    .digest('base64url');
  if (!sameString(match[3], expected)) return { reason: 'bad_signature' };
  if (nowSeconds >= Number(match[1])) return { reason: 'expired' };
  return { match: match };
}

function refuse(reason) {
  return {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: {
      // The player reads this status from another origin; a refusal is never cached.
      'access-control-allow-origin': { value: '*' },
      'cache-control': { value: 'no-store' },
      'x-playback-denied': { value: reason },
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- CloudFront calls `handler` by name.
function handler(event) {
  const request = event.request;
  const verdict = check(request.uri, Math.floor(Date.now() / 1000));
  if (verdict.reason) return refuse(verdict.reason);
  request.uri = '/' + verdict.match[5] + '/' + verdict.match[6];
  // Not part of the object and not part of the cache key (the cache policy ignores it too).
  request.querystring = {};
  return request;
}

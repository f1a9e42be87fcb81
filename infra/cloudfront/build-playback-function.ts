import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Deploy-time build of the CloudFront playback function: the shared PLAYBACK_SIGNING_KEY goes into
 * the code in place of its placeholder (a CloudFront Function cannot read secrets at run time
 * without a KeyValueStore round trip on every request). Run by the deploy, never committed:
 *
 *   PLAYBACK_SIGNING_KEY=... npx tsx infra/cloudfront/build-playback-function.ts out/playback-token-function.js
 */

export const PLAYBACK_FUNCTION_SOURCE = fileURLToPath(new URL('./playback-token-function.js', import.meta.url));
/** CloudFront refuses function code above 10 KB. */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024;
const PLACEHOLDER = "'@@PLAYBACK_SIGNING_KEY@@'";

export function buildPlaybackFunction(
  signingKey: string,
  source = readFileSync(PLAYBACK_FUNCTION_SOURCE, 'utf8'),
): string {
  if (signingKey.length < 32) throw new Error('PLAYBACK_SIGNING_KEY must be at least 32 characters (as for the app)');
  const pieces = source.split(PLACEHOLDER);
  if (pieces.length !== 2)
    throw new Error(`the function source must hold the key placeholder ${PLACEHOLDER} exactly once`);
  // A JSON string is a JavaScript string literal once the two line separators JSON leaves raw are escaped.
  const literal = JSON.stringify(signingKey)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  const code = pieces.join(literal);
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > CLOUDFRONT_FUNCTION_MAX_BYTES) {
    throw new Error(`the built function is ${bytes} bytes; CloudFront allows ${CLOUDFRONT_FUNCTION_MAX_BYTES}`);
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  // Deploy tooling: the key comes from the deploy's environment (a CI secret), like the app's.
  // eslint-disable-next-line no-restricted-properties
  const key = process.env.PLAYBACK_SIGNING_KEY;
  if (!out || !key) {
    console.error('usage: PLAYBACK_SIGNING_KEY=... tsx infra/cloudfront/build-playback-function.ts <output.js>');
    process.exit(2);
  }
  writeFileSync(out, buildPlaybackFunction(key), { mode: 0o600 });
  console.error(`wrote ${out}`);
}

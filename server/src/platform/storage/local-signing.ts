import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed URLs for the local store, the stand-in for S3 presigned URLs. The signature covers the
 * method, bucket, key, expiry and every behaviour-changing parameter, so a URL grants exactly one
 * operation on one object until one moment, and nothing else.
 */

export const EXPIRES_PARAM = 'X-Lectio-Expires';
export const SIGNATURE_PARAM = 'X-Lectio-Signature';
/** Parameters that change what a request does; each one present is signed. */
export const SIGNED_PARAMS = ['uploadId', 'partNumber', 'contentType', 'downloadName'] as const;
export type SignedParamName = (typeof SIGNED_PARAMS)[number];

export type SignedMethod = 'GET' | 'PUT';

export interface UrlGrant {
  method: SignedMethod;
  bucket: string;
  key: string;
  /** Unix seconds after which the URL is refused. */
  expires: number;
  params: Partial<Record<SignedParamName, string>>;
}

export type VerifyFailure = {
  ok: false;
  code: 'signature_invalid' | 'signature_expired' | 'bad_request';
  message: string;
};
export type VerifyResult = { ok: true; grant: UrlGrant } | VerifyFailure;

// Domain separation: the app secret may sign other things (sessions, tokens); this key signs only URLs.
const KEY_PURPOSE = 'lectio/storage/signed-url/v1';

export class UrlSigner {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('The storage signing secret must be at least 16 characters');
    this.#key = createHmac('sha256', secret).update(KEY_PURPOSE).digest();
  }

  sign(grant: UrlGrant): string {
    return createHmac('sha256', this.#key).update(canonicalString(grant)).digest('hex');
  }

  /** Checks a request's URL parts against its signature; `now` is injectable for tests. */
  verify(
    request: { method: SignedMethod; bucket: string; key: string; query: URLSearchParams },
    now = Date.now(),
  ): VerifyResult {
    const parsed = parseSignedQuery(request.query);
    if (!parsed.ok) return parsed;
    const { method, bucket, key } = request;
    const grant: UrlGrant = { method, bucket, key, expires: parsed.expires, params: parsed.params };
    const expected = Buffer.from(this.sign(grant), 'hex');
    const provided = Buffer.from(parsed.signature, 'hex');
    if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
      return { ok: false, code: 'signature_invalid', message: 'The URL signature does not match this request' };
    }
    // Checked after the signature, so a forged expiry is reported as forged rather than as expired.
    if (now > grant.expires * 1000) {
      return { ok: false, code: 'signature_expired', message: 'The signed URL has expired' };
    }
    return { ok: true, grant };
  }
}

/**
 * Unambiguous by construction: JSON keeps every field apart whatever characters the key or a
 * download name contains, and parameters are sorted so their order in the URL does not matter.
 */
function canonicalString(grant: UrlGrant): string {
  const params = SIGNED_PARAMS.flatMap((name) => {
    const value = grant.params[name];
    return value === undefined ? [] : [[name, value]];
  });
  return JSON.stringify(['LECTIO-STORAGE-V1', grant.method, grant.bucket, grant.key, String(grant.expires), params]);
}

type ParsedQuery =
  { ok: true; expires: number; signature: string; params: Partial<Record<SignedParamName, string>> } | VerifyFailure;

function singleValue(query: URLSearchParams, name: string): string | undefined | VerifyFailure {
  const values = query.getAll(name);
  if (values.length > 1) return { ok: false, code: 'bad_request', message: `Query parameter ${name} is repeated` };
  return values[0];
}

function parseSignedQuery(query: URLSearchParams): ParsedQuery {
  const expires = singleValue(query, EXPIRES_PARAM);
  const signature = singleValue(query, SIGNATURE_PARAM);
  if (typeof expires === 'object') return expires;
  if (typeof signature === 'object') return signature;
  if (expires === undefined || signature === undefined) {
    return {
      ok: false,
      code: 'signature_invalid',
      message: `The URL is not signed (${EXPIRES_PARAM}, ${SIGNATURE_PARAM})`,
    };
  }
  if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, code: 'signature_invalid', message: 'The URL signature or expiry is malformed' };
  }
  const params: Partial<Record<SignedParamName, string>> = {};
  for (const name of SIGNED_PARAMS) {
    const value = singleValue(query, name);
    if (typeof value === 'object') return value;
    if (value !== undefined) params[name] = value;
  }
  return { ok: true, expires: Number(expires), signature, params };
}

/** Path segments are encoded one by one so '/' keeps separating them and nothing else does. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export function buildSignedUrl(publicUrl: string, grant: UrlGrant, signature: string): string {
  const query = new URLSearchParams();
  for (const name of SIGNED_PARAMS) {
    const value = grant.params[name];
    if (value !== undefined) query.set(name, value);
  }
  query.set(EXPIRES_PARAM, String(grant.expires));
  query.set(SIGNATURE_PARAM, signature);
  return `${publicUrl.replace(/\/+$/, '')}/storage/${grant.bucket}/${encodeKeyPath(grant.key)}?${query.toString()}`;
}

/** Rounded up, so a URL is valid for at least the requested time (and under a second more). */
export function expiryFromNow(expiresInSeconds: number, now = Date.now()): number {
  return Math.ceil(now / 1000 + expiresInSeconds);
}

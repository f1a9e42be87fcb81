import { finished, PassThrough, Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isStorageError, type StorageErrorCode } from './errors.js';
import type { LocalStorage, OpenedObject } from './local.js';
import type { SignedMethod, UrlGrant } from './local-signing.js';
import type { BucketName } from './port.js';
import { assertValidKey, attachmentDisposition, isBucketName } from './validation.js';

/**
 * Serves the local store's signed URLs (GET, HEAD, PUT /storage/:bucket/*), playing the part S3
 * plays for presigned URLs. The app registers it only when the local backend is in use.
 */

export interface LocalStorageRoutesOptions {
  /** Largest body one PUT (a whole object or one part) may carry; S3's limit, 5 GiB, by default. */
  maxBodyBytes?: number;
}

type HttpErrorCode =
  | 'signature_invalid'
  | 'signature_expired'
  | 'not_found'
  | 'bad_request'
  | 'payload_too_large'
  | 'range_not_satisfiable';

interface StorageRoute {
  Params: { bucket: string; '*': string };
}

interface Target {
  bucket: BucketName;
  key: string;
  query: URLSearchParams;
}

class HttpFailure {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    readonly message: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const STORAGE_ERROR_STATUS: Record<StorageErrorCode, [number, HttpErrorCode]> = {
  invalid_key: [400, 'bad_request'],
  invalid_argument: [400, 'bad_request'],
  invalid_part: [400, 'bad_request'],
  invalid_part_order: [400, 'bad_request'],
  entity_too_small: [400, 'bad_request'],
  entity_too_large: [413, 'payload_too_large'],
  not_found: [404, 'not_found'],
  no_such_upload: [404, 'not_found'],
};

export function localStorageRoutes(storage: LocalStorage, options: LocalStorageRoutesOptions = {}): FastifyPluginAsync {
  const maxBodyBytes = options.maxBodyBytes ?? storage.maxUploadBytes;
  return async (app) => {
    // Its own context, so the raw-body parser below never leaks into the JSON API around it,
    // even if this plugin is someday wrapped with fastify-plugin.
    await app.register(async (scoped) => registerRoutes(scoped, storage, maxBodyBytes));
  };
}

async function registerRoutes(app: FastifyInstance, storage: LocalStorage, maxBodyBytes: number): Promise<void> {
  // Uploads are opaque bytes of any type: hand the request stream over unparsed. The size limit is
  // enforced while streaming to disk (the parser never buffers), not by Fastify's bodyLimit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const url = '/storage/:bucket/*';
  const schema = { hide: true };
  // Not under the per-address API budget, as S3's presigned URLs are not: the signature is the gate.
  // A 2 GB lecture is 250 part PUTs; counted, a fast uplink spent the whole address's budget in
  // under a minute and everyone behind that address got 429s (docs/benchmarks.md, "Large upload").
  const config = { rateLimit: false as const };
  app.route<StorageRoute>({
    method: 'PUT',
    url,
    schema,
    config,
    handler: (request, reply) => respond(reply, () => handlePut(storage, maxBodyBytes, request, reply)),
  });
  app.route<StorageRoute>({
    method: 'GET',
    url,
    schema,
    config,
    exposeHeadRoute: false,
    handler: (request, reply) => respond(reply, () => handleRead(storage, request, reply, 'GET')),
  });
  app.route<StorageRoute>({
    method: 'HEAD',
    url,
    schema,
    config,
    handler: (request, reply) => respond(reply, () => handleRead(storage, request, reply, 'HEAD')),
  });
}

/** Turns expected failures into the standard error body; anything else goes to the app's handler. */
async function respond(reply: FastifyReply, handle: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await handle();
  } catch (error) {
    const failure = error instanceof HttpFailure ? error : fromStorageError(error);
    if (!failure) throw error;
    return reply
      .code(failure.status)
      .headers({ 'cache-control': 'no-store', ...failure.headers })
      .send({ error: { code: failure.code, message: failure.message, details: {} } });
  }
}

function fromStorageError(error: unknown): HttpFailure | undefined {
  if (!isStorageError(error)) return undefined;
  const [status, code] = STORAGE_ERROR_STATUS[error.code];
  // The client may still be sending a body we stopped reading; don't keep the connection for reuse.
  const headers: Record<string, string> = status === 413 ? { connection: 'close' } : {};
  return new HttpFailure(status, code, error.message, headers);
}

function resolveTarget(request: FastifyRequest<StorageRoute>): Target {
  const { bucket, '*': key } = request.params;
  if (!isBucketName(bucket)) throw new HttpFailure(404, 'not_found', `No bucket ${JSON.stringify(bucket)}`);
  try {
    assertValidKey(key);
  } catch (error) {
    throw new HttpFailure(400, 'bad_request', error instanceof Error ? error.message : 'Invalid key');
  }
  const query = new URL(request.url, 'http://localhost').searchParams;
  return { bucket, key, query };
}

function authorize(storage: LocalStorage, target: Target, method: SignedMethod): UrlGrant {
  const verdict = storage.verifySignedRequest({ method, ...target });
  if (!verdict.ok) throw new HttpFailure(verdict.code === 'bad_request' ? 400 : 403, verdict.code, verdict.message);
  return verdict.grant;
}

async function handlePut(
  storage: LocalStorage,
  maxBodyBytes: number,
  request: FastifyRequest<StorageRoute>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const target = resolveTarget(request);
  const { params } = authorize(storage, target, 'PUT');
  if (params.downloadName !== undefined) {
    throw new HttpFailure(400, 'bad_request', 'downloadName belongs on a GET URL, not a PUT');
  }
  const declaredType = request.headers['content-type'];
  // S3 signs the Content-Type of a presigned PUT; refusing a different one here keeps clients honest.
  if (params.contentType !== undefined && declaredType !== params.contentType) {
    throw new HttpFailure(403, 'signature_invalid', `This URL requires Content-Type: ${params.contentType}`);
  }
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBodyBytes) {
    throw new HttpFailure(413, 'payload_too_large', `The body exceeds the ${maxBodyBytes}-byte limit`, {
      connection: 'close',
    });
  }
  // Fastify skips the parser when there is no body at all: that is an empty object (or part).
  const body = request.body instanceof Readable ? shielded(request.body) : Readable.from([]);
  const part = partOf(params);
  const result = part
    ? await storage.storePart(target.bucket, target.key, part.uploadId, part.partNumber, body, {
        maxBytes: maxBodyBytes,
      })
    : await storage.storeObject(target.bucket, target.key, body, {
        contentType: params.contentType ?? declaredType,
        maxBytes: maxBodyBytes,
      });
  return reply.code(200).header('etag', result.etag).header('cache-control', 'no-store').send();
}

/**
 * The request body behind a PassThrough: a failed write (say, over the size limit) destroys the
 * PassThrough but not the request, so the client still gets a 413 instead of a reset connection.
 * A client that disconnects still fails the write, through `finished`.
 */
function shielded(request: Readable): Readable {
  const body = new PassThrough();
  request.pipe(body);
  finished(request, (error) => {
    if (error) body.destroy(error);
  });
  return body;
}

function partOf(params: UrlGrant['params']): { uploadId: string; partNumber: number } | undefined {
  const { uploadId, partNumber } = params;
  if (uploadId === undefined && partNumber === undefined) return undefined;
  if (uploadId === undefined || partNumber === undefined || !/^\d{1,5}$/.test(partNumber)) {
    throw new HttpFailure(400, 'bad_request', 'A part upload needs both uploadId and a numeric partNumber');
  }
  return { uploadId, partNumber: Number(partNumber) };
}

async function handleRead(
  storage: LocalStorage,
  request: FastifyRequest<StorageRoute>,
  reply: FastifyReply,
  method: 'GET' | 'HEAD',
): Promise<FastifyReply> {
  const target = resolveTarget(request);
  // A HEAD is the GET it mirrors without the body; a GET URL authorizes both, as a player expects.
  const grant = authorize(storage, target, 'GET');
  const { uploadId, partNumber, contentType } = grant.params;
  if (uploadId !== undefined || partNumber !== undefined || contentType !== undefined) {
    throw new HttpFailure(400, 'bad_request', 'This URL carries upload parameters; it cannot read');
  }
  const opened = await storage.openObject(target.bucket, target.key);
  if (!opened) throw new HttpFailure(404, 'not_found', `No object ${JSON.stringify(target.key)}`);
  const range = parseRange(request.headers.range, opened.info.size);
  if (range === 'unsatisfiable') {
    await opened.close();
    throw new HttpFailure(416, 'range_not_satisfiable', 'The requested range is not satisfiable', {
      'content-range': `bytes */${opened.info.size}`,
    });
  }
  reply.headers(readHeaders(opened, grant, range));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${opened.info.size}`);
  if (method === 'HEAD') {
    await opened.close();
    return reply.send();
  }
  return reply.send(opened.read(range));
}

function readHeaders(
  opened: OpenedObject,
  grant: UrlGrant,
  range: { start: number; end: number } | undefined,
): Record<string, string> {
  const { info } = opened;
  const secondsLeft = Math.max(0, grant.expires - Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': info.contentType ?? 'application/octet-stream',
    'content-length': String(range ? range.end - range.start + 1 : info.size),
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    // Cacheable by the browser only, and no longer than the URL itself is valid.
    'cache-control': `private, max-age=${secondsLeft}`,
    // Uploaded bytes are served from the app's own origin: never let them run as a page there.
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  };
  if (grant.params.downloadName !== undefined) {
    headers['content-disposition'] = attachmentDisposition(grant.params.downloadName);
  }
  return headers;
}

/**
 * One `bytes=` range (what players and download managers send). Other forms, such as several
 * ranges, are ignored and the whole object is served, as RFC 9110 allows.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffixLength = Number(last);
    if (suffixLength === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

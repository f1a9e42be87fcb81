import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * ETag and 304 Not Modified for cacheable GETs: a client (or a CDN) that already holds the body
 * sends `If-None-Match` and gets an empty 304 instead of the same JSON again. The tag is a hash
 * of the body as sent, so it changes exactly when the body does (a renamed course, a new page of
 * the list) and needs no bookkeeping in the modules.
 *
 * Which answers get one: a 200 to a GET or HEAD with a text or byte body, on an API route or one
 * that declares itself cacheable (`public`/`private` cache-control); never one marked `no-store`
 * (sessions, tokens, lesson content), and never an answer computed for a signed-in caller unless
 * the route marked it `private`, so a shared cache cannot match one person's page to another.
 * @fastify/etag would tag every answer of every method (and 304 a POST); this keeps to the above.
 */
export function registerConditionalGet(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!(typeof payload === 'string' || Buffer.isBuffer(payload)) || !wantsEtag(request, reply)) {
      done(null, payload);
      return;
    }
    const etag = tagOf(payload);
    reply.header('etag', etag);
    if (matches(request.headers['if-none-match'], etag)) {
      reply.code(304);
      done(null, '');
      return;
    }
    done(null, payload);
  });
}

/**
 * Remembered per Buffer: the memoizing serializer (serializer.ts) hands out the same Buffer for a
 * cached page every time, so its hash is taken once per cache entry instead of once per answer.
 */
const tags = new WeakMap<Buffer, string>();

function tagOf(payload: string | Buffer): string {
  if (typeof payload === 'string') return `"${createHash('sha1').update(payload).digest('base64url')}"`;
  let tag = tags.get(payload);
  if (tag === undefined) {
    tag = `"${createHash('sha1').update(payload).digest('base64url')}"`;
    tags.set(payload, tag);
  }
  return tag;
}

function wantsEtag(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (reply.statusCode !== 200 || reply.hasHeader('etag')) return false;
  const cacheControl = String(reply.getHeader('cache-control') ?? '').toLowerCase();
  if (cacheControl.includes('no-store')) return false;
  const personal = request.principal !== undefined || request.headers.authorization !== undefined;
  if (personal && !cacheControl.includes('private')) return false;
  const route = request.routeOptions.url ?? '';
  return route.startsWith('/api/') || cacheControl.includes('public') || cacheControl.includes('private');
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  for (const candidate of ifNoneMatch.split(',')) {
    const tag = candidate.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

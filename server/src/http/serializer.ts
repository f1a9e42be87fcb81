import { serializerCompiler } from 'fastify-type-provider-zod';

type SerializerCompiler = typeof serializerCompiler;
type Serialize = ReturnType<SerializerCompiler>;

/**
 * The zod response serializer (each answer checked against its schema, unknown keys dropped, then
 * JSON.stringify), remembering its output for answers that cannot change: deep-frozen objects,
 * which is what the near cache hands out for hot catalog keys (platform/cache/near.ts). A cached
 * course list or page is then encoded once per cache entry instead of once per request; the
 * zod pass was about a tenth of the CPU of an uncached-serialisation course list
 * (docs/benchmarks/http-overhead.md). What is remembered is the UTF-8 bytes: written to the socket
 * as they are, where a string (20 KB for a list page) was encoded again on every answer and
 * walked once more for its Content-Length. The bytes are exactly those of the string the
 * serializer produced, so nothing changes on the wire; a mutable answer is serialized every time
 * as before (and sent as a string).
 */
export const memoizingSerializerCompiler = ((routeSchema: Parameters<SerializerCompiler>[0]) => {
  const serialize: Serialize = serializerCompiler(routeSchema);
  // Per route and status code: the same object may be valid under one schema and not another.
  const memo = new WeakMap<object, Buffer>();
  return (data: unknown) => {
    if (typeof data !== 'object' || data === null || !Object.isFrozen(data)) return serialize(data);
    const known = memo.get(data);
    if (known !== undefined) return known;
    const json = serialize(data);
    if (!isDeepFrozen(data, 0)) return json;
    const bytes = Buffer.from(json, 'utf8');
    memo.set(data, bytes);
    return bytes;
  };
  // Fastify's type says a serializer returns a string; it sends a Buffer as it is (reply.js, onSendEnd).
}) as unknown as SerializerCompiler;

const MAX_DEPTH = 32;

/**
 * Plain objects and arrays, frozen all the way down. Anything else (a Date, whose time can be
 * set even when frozen; a Buffer; a class instance) makes the answer count as mutable.
 */
function isDeepFrozen(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH || !Object.isFrozen(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null && !isDeepFrozen(child, depth + 1)) return false;
  }
  return true;
}

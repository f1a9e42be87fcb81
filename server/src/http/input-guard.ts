import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

function isBytes(v: object): boolean {
  return ArrayBuffer.isView(v) || typeof (v as { pipe?: unknown }).pipe === 'function';
}

/** True when any string in the value (keys included) holds U+0000; walked without recursion, as JSON may nest deep. */
function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v && typeof v === 'object' && !isBytes(v)) {
      // Parsed JSON, params and query (whose objects have no Object.prototype: checking for one
      // let NUL through); a streamed upload body is bytes, and an object graph with cycles.
      for (const [key, item] of Object.entries(v)) {
        if (key.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/**
 * PostgreSQL stores no U+0000 in text or jsonb: such a string reached the database as a 500. No
 * honest client sends one (it is not text), so it is refused at the edge, in params, query and
 * JSON body alike, before any route sees it. Raw upload bodies (Buffers) are bytes, not text.
 */
export function registerInputGuard(app: FastifyInstance): void {
  // A callback hook (no promise per request), and params and query are walked only when the URL
  // they were decoded from holds an encoded NUL: most requests carry none, and a NUL can reach
  // them no other way (HTTP parsing refuses a raw one in the request line).
  app.addHook('preValidation', (request, reply, done) => {
    const url = request.url;
    const inUrl = url.includes('%00') || url.includes('\u0000');
    if ((inUrl && (hasNul(request.params) || hasNul(request.query))) || hasNul(request.body)) {
      void reply
        .status(400)
        .send(errorBody('invalid_text', 'The request contains a NUL character, which is not text.'));
      return;
    }
    done();
  });
}

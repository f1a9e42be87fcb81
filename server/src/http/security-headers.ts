import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's headers (CSP, HSTS, frame and referrer policies, …), worked out once at start-up and
 * copied onto every response. @fastify/helmet builds a new helmet middleware for every request,
 * re-parsing the whole CSP each time: about a twelfth of the CPU of a bare `GET /health/live`
 * (docs/benchmarks/http-overhead.md). The headers depend on the options alone (no nonces), so
 * the result is the same for every request and computing it once changes nothing on the wire.
 */
export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers: [string, string | number | readonly string[]][] = [];
  const removed: string[] = [];
  // Helmet only calls setHeader and removeHeader on the response; record what it would do.
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, value]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
  });

  app.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of headers) raw.setHeader(name, value);
    for (const name of removed) raw.removeHeader(name);
    done();
  });
}

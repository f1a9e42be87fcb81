import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { METRICS_CONTENT_TYPE, type Metrics } from './metrics.js';

/**
 * /metrics in two places. The internal listener (METRICS_PORT) answers scrapers inside the private
 * network with no credentials, and nothing else. The public port serves it only to a bearer token
 * (METRICS_TOKEN), for a hosted Prometheus that cannot reach the private network; without a token
 * configured the route does not exist there at all.
 */

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  // Constant time, so the token cannot be guessed byte by byte from response timings.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function metricsRoute(metrics: Metrics, token: string): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/metrics',
      // Hidden from the API document (it is not part of the API); unthrottled so scrapes never 429.
      { schema: { hide: true }, config: { rateLimit: false } },
      async (request, reply) => {
        if (!tokenMatches(request.headers.authorization, token)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          return reply.status(401).send({ error: { code: 'unauthorized', message: 'A metrics token is required.' } });
        }
        reply.header('content-type', METRICS_CONTENT_TYPE);
        reply.header('cache-control', 'no-store');
        return metrics.render();
      },
    );
  };
}

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/** The internal listener: GET /metrics and nothing else. */
export async function startMetricsListener(
  metrics: Metrics,
  options: { host: string; port: number },
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  // Scrapers open short connections; do not let an idle one hold shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import type { Logger } from '../platform/telemetry/logger.js';
import type { CachePort } from '../platform/cache/port.js';
import type { HttpMetrics } from '../platform/telemetry/metrics.js';
import { registerAuthentication, type Authenticator } from './auth.js';
import { clientErrorHandler, errorBody, frameworkErrorHandler, registerErrorHandling } from './errors.js';
import { registerConditionalGet } from './etag.js';
import { registerInputGuard } from './input-guard.js';
import { registerRequestContext, RequestLogController } from './request-context.js';
import { cacheRateLimitStore } from './rate-limit.js';
import {
  applySecurityHeaders,
  lectioSecurityHeaders,
  registerSecurityHeaders,
  securityHeadersFor,
} from './security-headers.js';
import { memoizingSerializerCompiler } from './serializer.js';

export interface AppOptions {
  config: Config;
  logger: Logger;
  cache: CachePort;
  /** Resolves bearer tokens for `requireUser()` and `requirePermission()`. */
  authenticator: Authenticator;
  /** The built web app (web/dist); served with an SPA fallback when present. */
  webRoot?: string;
  /** Each module's routes, registered after the shared plumbing. */
  routes: FastifyPluginAsync[];
  /** Told of every answered request (latency and status by route pattern). */
  metrics?: HttpMetrics;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
/** sha256 of the logo SVG's <style> in @fastify/swagger-ui's swagger-ui-bundle.js. */
const SWAGGER_UI_STYLE_HASH = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const security = lectioSecurityHeaders({
    publicUrl: config.http.publicUrl,
    mediaBaseUrl: config.playback.mediaBaseUrl,
  });

  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps Fastify's default logger type throughout.
    loggerInstance: options.logger as FastifyBaseLogger,
    // One INFO line per request, written by request-context.ts once the answer is known; the ids a
    // line carries come from the async context, so the request's child logger needs no bindings.
    logController: new RequestLogController(),
    // No child logger per request either, unless a route sets its own level or serializers.
    childLoggerFactory: (logger, _bindings, childOptions) =>
      childOptions.level === undefined && childOptions.serializers === undefined
        ? logger
        : logger.child({}, childOptions),
    trustProxy: config.http.trustProxy,
    // Keep a caller's request id (from the load balancer) so one id follows a request end to end.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // A stalled client loses its socket after a minute of silence (slowloris); a slow but moving
    // one may take longer overall, since a large upload part on a poor line needs minutes.
    connectionTimeout: 60_000,
    requestTimeout: 15 * 60_000,
    keepAliveTimeout: 10_000,
    // Headers fit in one packet for any honest client; one sending them a byte at a time (slowloris)
    // loses its socket after 20 s instead of Node's 60–90 s (server/test/faults/slow-clients.test.ts).
    http: { headersTimeout: 20_000, connectionsCheckingInterval: 5_000 },
    routerOptions: { maxParamLength: 200 },
    // Errors raised before routing (bad URL escapes, overlong parameters, unparsable requests)
    // answer in the API's error shape too.
    frameworkErrors: (error, request, reply) => {
      applySecurityHeaders(reply, securityHeadersFor(request.url, security));
      frameworkErrorHandler(error, request, reply);
    },
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(memoizingSerializerCompiler);
  registerRequestContext(app);
  registerErrorHandling(app);
  registerAuthentication(app, options.authenticator);
  registerConditionalGet(app);
  registerInputGuard(app);
  // Callback hooks, not async ones: no promise per request on the hottest path.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  const httpMetrics = options.metrics;
  if (httpMetrics) {
    app.addHook('onResponse', (request, reply, done) => {
      httpMetrics.observeHttpRequest({
        method: request.method,
        // The pattern keeps one series per route; raw URLs (ids, tokens) would make one per request.
        route: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      });
      done();
    });
  }

  registerSecurityHeaders(app, security);

  await app.register(cors, {
    // Same-origin needs no CORS; only listed origins (e.g. a separately hosted web app) get it.
    origin: config.http.corsOrigins.length ? config.http.corsOrigins : false,
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });

  await app.register(cookie);

  await app.register(rateLimit, {
    global: true,
    max: config.http.rateLimit.max,
    timeWindow: config.http.rateLimit.windowMs,
    store: cacheRateLimitStore(options.cache, app.log),
    // A 429 goes through the error handler, which gives it the standard error shape.
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`Rate limit exceeded, retry in ${context.after}`) as Error & { statusCode: number };
      error.statusCode = 429;
      return error;
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lectio API',
        version: '0.1.0',
        description: 'Online-course video platform. Every error answers {"error":{"code","message","details"}}.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The access token from POST /api/v1/auth/login or /auth/refresh.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI's page keeps the plugin's own policy, plus the hash of the one inline <style> its
    // bundle adds (the small logo SVG's); e2e/security.e2e.test.ts fails if an upgrade adds another.
    transformStaticCSP: (header) => header.replace(/style-src ([^;]*);/, `style-src $1 '${SWAGGER_UI_STYLE_HASH}';`),
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());

  for (const plugin of options.routes) await app.register(plugin);

  const serveWeb = Boolean(options.webRoot && existsSync(path.join(options.webRoot, 'index.html')));
  if (serveWeb && options.webRoot) await registerWebApp(app, options.webRoot);
  registerNotFound(app, serveWeb);
  return app;
}

/**
 * Serves the built React app: hashed assets cached for a year, index.html never cached, and every
 * other GET that wants HTML answered with index.html so client-side routes survive a reload.
 */
async function registerWebApp(app: FastifyInstance, webRoot: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: webRoot,
    wildcard: false,
    index: false,
    setHeaders: (res, filePath) => {
      res.setHeader(
        'cache-control',
        filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}

const NON_PAGE_PREFIXES = ['/api/', '/health/', '/storage/', '/media/', '/docs', '/openapi.json'];

function registerNotFound(app: FastifyInstance, serveWeb: boolean): void {
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    const isPage = request.method === 'GET' && wantsHtml && !NON_PAGE_PREFIXES.some((p) => pathname.startsWith(p));
    if (serveWeb && isPage) {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    }
    return reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${pathname}`));
  });
}

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TestCheckoutError, type TestCheckoutView, type TestGateway } from './test-gateway.js';
import {
  pickLanguage,
  renderCheckoutPage,
  renderCrossSitePage,
  renderNotFoundPage,
  STYLESHEET,
  STYLESHEET_PATH,
} from './test-gateway-page.js';

/**
 * The test gateway's hosted checkout page (what checkout.stripe.com is for Stripe): GET shows
 * the session, POST …/pay and …/decline settle it and send the student on with a 303. Hidden from
 * the OpenAPI document; the app registers it only when the test gateway is in use.
 */
export function testGatewayRoutes(gateway: TestGateway): FastifyPluginAsync {
  return async (app) => {
    // Its own context, so the form parser below never reaches the JSON API around it.
    await app.register(async (scoped) => registerRoutes(scoped, gateway));
  };
}

interface SessionRoute {
  Params: { sessionId: string };
}

const schema = { hide: true };

function registerRoutes(app: FastifyInstance, gateway: TestGateway): void {
  // The forms carry no fields; accept (and ignore) their body instead of answering 415.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, _body, done) => done(null, {}),
  );

  app.get(STYLESHEET_PATH, { schema }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );

  app.get<SessionRoute>('/test-gateway/checkout/:sessionId', { schema }, async (request, reply) => {
    const language = pickLanguage(request.headers['accept-language']);
    const view = await gateway.describe(request.params.sessionId);
    if (!view) return sendPage(reply, 404, renderNotFoundPage(language));
    return sendPage(reply, 200, renderCheckoutPage(view, language), view);
  });

  const settle = (action: (sessionId: string) => Promise<string>) =>
    async function settleCheckout(request: FastifyRequest<SessionRoute>, reply: FastifyReply) {
      const language = pickLanguage(request.headers['accept-language']);
      // Only the page itself may press its buttons (the session id is the only other guard).
      if (request.headers['sec-fetch-site'] === 'cross-site') {
        return sendPage(reply, 403, renderCrossSitePage(language));
      }
      const { sessionId } = request.params;
      try {
        const location = await action(sessionId);
        return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
      } catch (error) {
        if (!(error instanceof TestCheckoutError)) throw error;
        // Already paid, declined or expired: show what became of it, with the way on.
        const view = await gateway.describe(sessionId);
        if (!view) return sendPage(reply, 404, renderNotFoundPage(language));
        return sendPage(reply, 409, renderCheckoutPage(view, language), view);
      }
    };

  app.post<SessionRoute>(
    '/test-gateway/checkout/:sessionId/pay',
    { schema },
    settle((id) => gateway.pay(id)),
  );
  app.post<SessionRoute>(
    '/test-gateway/checkout/:sessionId/decline',
    { schema },
    settle((id) => gateway.decline(id)),
  );
}

function sendPage(reply: FastifyReply, status: number, html: string, view?: TestCheckoutView): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .headers({
      'cache-control': 'no-store',
      vary: 'accept-language',
      'content-security-policy': pageSecurityPolicy(view),
    })
    .send(html);
}

/**
 * Stricter than the app's policy, but `form-action` also names the success and cancel URLs'
 * origins: browsers apply it to the redirect that follows a form post, and those URLs may be on
 * another origin (a web app hosted apart from the API).
 */
function pageSecurityPolicy(view: TestCheckoutView | undefined): string {
  const origins = new Set<string>();
  for (const url of view ? [view.successUrl, view.cancelUrl] : []) {
    try {
      const { origin, protocol } = new URL(url);
      if (protocol === 'http:' || protocol === 'https:') origins.add(origin);
    } catch {
      // Not a URL: the page shows no link to it either.
    }
  }
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self'${[...origins].map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

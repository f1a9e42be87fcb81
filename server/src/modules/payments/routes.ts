import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { OrderService } from './order-service.js';
import {
  createdOrderSchema,
  createOrderBody,
  idempotencyHeaders,
  myOrdersQuery,
  orderDetailSchema,
  orderPage,
  orderSchema,
  quoteQuery,
  quoteSchema,
  webhookReceiptSchema,
} from './schemas.js';
import type { WebhookService } from './webhook-service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const id = z.object({ id: z.string().uuid() });

/** A student buying a course: the quote, the order, its page, cancelling it, the order history. */
export function orderRoutes(orders: OrderService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/courses/:id/checkout',
      {
        preHandler: requirePermission('order.create'),
        schema: {
          tags: ['orders'],
          summary: 'What buying a paid course costs, with a coupon if given (signed-in user)',
          security,
          params: id,
          querystring: quoteQuery,
          response: {
            200: quoteSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            422: errorResponseSchema,
            503: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => orders.quote(principalOf(request), request.params.id, request.query.coupon),
    );

    app.post(
      '/api/v1/orders',
      {
        preHandler: requirePermission('order.create'),
        schema: {
          tags: ['orders'],
          summary:
            'Order a paid course and get the checkout page to pay on; idempotent with Idempotency-Key (signed-in user)',
          security,
          headers: idempotencyHeaders,
          body: createOrderBody,
          response: {
            200: createdOrderSchema,
            201: createdOrderSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            422: errorResponseSchema,
            502: errorResponseSchema,
            503: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request, reply) => {
        const { created, ...answer } = await orders.create(
          principalOf(request),
          request.body,
          request.headers['idempotency-key'],
        );
        return reply.status(created ? 201 : 200).send(answer);
      },
    );

    app.get(
      '/api/v1/orders/:id',
      {
        // Ownership is checked in the service once the order is loaded (order.read: owner or admin).
        preHandler: requireUser(),
        schema: {
          tags: ['orders'],
          summary: 'An order with its receipt details and whether a refund may be asked (its student, admin)',
          security,
          params: id,
          response: { 200: orderDetailSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => orders.get(principalOf(request), request.params.id),
    );

    app.post(
      '/api/v1/orders/:id/cancel',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['orders'],
          summary: 'Give up on an order waiting for payment; its checkout page stops working (its student, admin)',
          security,
          params: id,
          response: {
            200: z.object({ order: orderSchema }),
            404: errorResponseSchema,
            409: errorResponseSchema,
            // The gateway could not close the session, and did not say it was closed already.
            502: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => ({ order: await orders.cancel(principalOf(request), request.params.id) }),
    );

    app.get(
      '/api/v1/me/orders',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['me'],
          summary: 'My orders, newest first, optionally of one status (signed-in user)',
          security,
          querystring: myOrdersQuery,
          response: { 200: orderPage, 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => {
        const { page, pageSize, status } = request.query;
        return orders.listMine(principalOf(request).userId, { page, pageSize, status });
      },
    );
  };
}

/**
 * The gateway's webhook. Its own plugin, because it reads the body as raw bytes (the signature
 * covers them exactly) and that parser must not reach any other route.
 */
export function paymentWebhookRoutes(webhooks: WebhookService): FastifyPluginAsyncZod {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
      done(null, body),
    );

    app.post(
      '/api/v1/payments/webhooks/stripe',
      {
        // The gateway sends bursts from few addresses; the signature is the gate.
        config: { rateLimit: false },
        bodyLimit: 1024 * 1024,
        schema: {
          tags: ['payments'],
          summary: 'Stripe (or the test gateway) reports payment events here, signed in Stripe-Signature (the gateway)',
          headers: z.object({ 'stripe-signature': z.string().optional() }),
          response: {
            200: webhookReceiptSchema,
            400: errorResponseSchema,
            503: errorResponseSchema,
          },
        },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return webhooks.receive(body, request.headers['stripe-signature']);
      },
    );
  };
}

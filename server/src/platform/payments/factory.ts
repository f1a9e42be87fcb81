import type { Config } from '../../config.js';
import type { Db } from '../db/port.js';
import { StripeGateway } from './stripe-gateway.js';
import { deriveTestWebhookSecret, TestGateway, type GatewayLogger } from './test-gateway.js';

export interface PaymentGatewayDependencies {
  /** The primary: the test gateway writes its sessions and reads them straight back. */
  db: Db;
  /** The test gateway's page and webhook target. */
  publicUrl: string;
  /** The test gateway's webhook secret is derived from it when STRIPE_WEBHOOK_SECRET is unset. */
  appSecret: string;
  /** The test gateway POSTs its webhooks here instead of to publicUrl (see TestGatewayOptions). */
  webhookBaseUrl?: string;
  logger?: GatewayLogger;
}

/** The one place that picks the payment backend; undefined when paid courses cannot be bought. */
export function createPaymentGateway(
  config: Config['payments'],
  deps: PaymentGatewayDependencies,
): TestGateway | StripeGateway | undefined {
  if (config.backend === 'none') return undefined;
  if (config.backend === 'stripe') {
    if (!config.stripeSecretKey || !config.stripeWebhookSecret) {
      // loadConfig refuses this combination; the check keeps the types honest.
      throw new Error('The stripe payments backend needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
    }
    return new StripeGateway({
      secretKey: config.stripeSecretKey,
      webhookSecret: config.stripeWebhookSecret,
      apiBase: config.stripeApiBase,
    });
  }
  return new TestGateway({
    db: deps.db,
    publicUrl: deps.publicUrl,
    webhookBaseUrl: deps.webhookBaseUrl,
    webhookSecret: config.stripeWebhookSecret ?? deriveTestWebhookSecret(deps.appSecret),
    logger: deps.logger,
  });
}

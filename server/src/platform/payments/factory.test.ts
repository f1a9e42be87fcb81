import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import type { Db } from '../db/port.js';
import { createPaymentGateway } from './factory.js';
import { StripeGateway } from './stripe-gateway.js';
import { TestGateway } from './test-gateway.js';

// The factory only hands the handle on; no query runs in these tests.
const db = {} as Db;
const deps = { db, publicUrl: 'http://127.0.0.1:3000', appSecret: 'an app secret of at least thirty-two characters' };

describe('createPaymentGateway', () => {
  it('picks the test gateway outside production without Stripe keys', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(createPaymentGateway(config.payments, deps)).toBeInstanceOf(TestGateway);
  });

  it('picks Stripe when both keys are set', () => {
    const config = loadConfig({
      NODE_ENV: 'development',
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
    });
    const gateway = createPaymentGateway(config.payments, deps);
    expect(gateway).toBeInstanceOf(StripeGateway);
    expect(gateway?.backend).toBe('stripe');
  });

  it('gives no gateway for the none backend', () => {
    const config = loadConfig({ NODE_ENV: 'development', PAYMENTS_BACKEND: 'none' });
    expect(createPaymentGateway(config.payments, deps)).toBeUndefined();
  });
});

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, hashesPerProcess, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/lectio');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({}, '/srv/lectio');
    expect(config.embedded).toBe(true);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000, publicUrl: 'http://127.0.0.1:3000' });
    expect(config.database).toEqual({ backend: 'pglite', dataDir: '/srv/lectio/data/pglite' });
    expect(config.cache.backend).toBe('memory');
    expect(config.queue.backend).toBe('embedded');
    expect(config.storage).toEqual({ backend: 'local', root: '/srv/lectio/data/storage' });
    expect(config.mail.backend).toBe('outbox');
    expect(config.seedDemoData).toBe(true);
  });

  it('switches every port to its production backend from the environment', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://db/lectio',
        DATABASE_REPLICA_URLS: 'postgres://r1/lectio, postgres://r2/lectio',
        REDIS_URL: 'redis://cache:6379',
        S3_ENDPOINT: 'http://s3:4569',
        SMTP_URL: 'smtp://relay:587',
      },
      '/srv',
    );
    expect(config.embedded).toBe(false);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.database).toMatchObject({
      backend: 'postgres',
      replicaUrls: ['postgres://r1/lectio', 'postgres://r2/lectio'],
    });
    expect(config.cache.backend).toBe('redis');
    expect(config.queue.backend).toBe('bullmq');
    expect(config.storage).toMatchObject({ backend: 's3', forcePathStyle: true, bucketPrefix: 'lectio-' });
    expect(config.mail.backend).toBe('smtp');
    expect(config.seedDemoData).toBe(false);
  });

  it('names the variable when a value is bad', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT']);
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT']);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })).toEqual(['DATABASE_URL']);
    expect(problemsOf({ LOG_LEVEL: 'loud', REDIS_URL: 'nope' }).sort()).toEqual(['LOG_LEVEL', 'REDIS_URL']);
    expect(problemsOf({ QUEUE_BACKEND: 'bullmq' })).toEqual(['QUEUE_BACKEND']);
    expect(problemsOf({ DATABASE_REPLICA_URLS: 'postgres://r/x' })).toEqual(['DATABASE_REPLICA_URLS']);
  });

  it('says what was wrong and what it got', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT: expected an integer between 1 and 65535 \(got "abc"\)/);
  });

  it('requires APP_SECRET in production and keeps demo data out of it', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['APP_SECRET', 'PLAYBACK_SIGNING_KEY', 'JWT_SIGNING_KEYS']);
    const config = loadConfig({
      NODE_ENV: 'production',
      APP_SECRET: 'x'.repeat(32),
      JWT_SIGNING_KEYS: `k1:${'y'.repeat(32)}`,
      PLAYBACK_SIGNING_KEY: 'z'.repeat(32),
    });
    expect(config.isProduction).toBe(true);
    expect(config.seedDemoData).toBe(false);
  });

  it('reads JWT signing keys, the first signing, and refuses short secrets without echoing them', () => {
    const config = loadConfig({ JWT_SIGNING_KEYS: `new:${'a'.repeat(32)}, old:${'b'.repeat(40)}` });
    expect(config.auth.signingKeys?.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(problemsOf({ JWT_SIGNING_KEYS: 'k1:short' })).toEqual(['JWT_SIGNING_KEYS']);
    expect(() => loadConfig({ JWT_SIGNING_KEYS: 'k1:short' })).not.toThrow(/short"/);
    expect(problemsOf({ JWT_SIGNING_KEYS: `k1:${'a'.repeat(32)},k1:${'b'.repeat(32)}` })).toEqual(['JWT_SIGNING_KEYS']);
    expect(problemsOf({ ACCESS_TOKEN_TTL_SECONDS: '3600' })).toEqual(['ACCESS_TOKEN_TTL_SECONDS']);
    expect(loadConfig({}).auth).toMatchObject({
      signingKeys: undefined,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlMs: 7 * 86_400_000,
      refreshReuseGraceMs: 10_000,
    });
  });

  it('sends Secure cookies except to plain-http localhost, unless told', () => {
    expect(loadConfig({}).auth.cookieSecure).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://lectio.example' }).auth.cookieSecure).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://lectio.example' }).auth.cookieSecure).toBe(true);
    expect(loadConfig({ COOKIE_SECURE: 'true' }).auth.cookieSecure).toBe(true);
  });

  it('signs playback URLs for the app itself unless an edge origin is given', () => {
    const local = loadConfig({});
    expect(local.playback).toEqual({
      signingKey: undefined,
      tokenTtlSeconds: 3600,
      maxSessions: 2,
      mediaBaseUrl: local.http.publicUrl,
    });
    const edge = loadConfig({ PLAYBACK_MEDIA_URL: 'https://media.lectio.example/', PLAYBACK_TOKEN_TTL_SECONDS: '20' });
    expect(edge.playback).toMatchObject({ mediaBaseUrl: 'https://media.lectio.example', tokenTtlSeconds: 20 });
    expect(problemsOf({ PLAYBACK_TOKEN_TTL_SECONDS: '5' })).toEqual(['PLAYBACK_TOKEN_TTL_SECONDS']);
    expect(problemsOf({ PLAYBACK_SIGNING_KEY: 'short' })).toEqual(['PLAYBACK_SIGNING_KEY']);
  });

  it('pays through the test gateway by default, Stripe when both keys are set, and nothing fake in production', () => {
    expect(loadConfig({}, '/srv').payments.backend).toBe('test');
    const stripe = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };
    expect(loadConfig(stripe, '/srv').payments).toMatchObject({
      backend: 'stripe',
      stripeSecretKey: 'sk_test_abc123',
      stripeWebhookSecret: 'whsec_abc',
      checkoutExpiresMs: 3_600_000,
      refund: { windowDays: 7, maxWatchedPercent: 30 },
    });
    const production = {
      NODE_ENV: 'production',
      APP_SECRET: 'x'.repeat(32),
      PLAYBACK_SIGNING_KEY: 'p'.repeat(32),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(32)}`,
    };
    expect(loadConfig(production, '/srv').payments.backend).toBe('none');
    expect(loadConfig({ ...production, PAYMENTS_BACKEND: 'test' }, '/srv').payments.backend).toBe('test');
    expect(problemsOf({ STRIPE_SECRET_KEY: 'sk_test_abc123' })).toEqual(['STRIPE_WEBHOOK_SECRET']);
    expect(problemsOf({ PAYMENTS_BACKEND: 'stripe' })).toEqual(['PAYMENTS_BACKEND']);
    expect(problemsOf({ STRIPE_SECRET_KEY: 'pk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' })).toEqual([
      'STRIPE_SECRET_KEY',
    ]);
  });

  it('serves metrics nowhere unless asked, and never on the public port without a token', () => {
    expect(loadConfig({}, '/srv').metrics).toEqual({ port: undefined, token: undefined });
    const token = 't'.repeat(16);
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: token }, '/srv').metrics).toEqual({ port: 9464, token });
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual(['METRICS_TOKEN']);
    expect(problemsOf({ METRICS_PORT: '3000' })).toEqual(['METRICS_PORT']);
  });

  it('runs one Argon2 hash per core of the host, shared out over its API processes, unless told', () => {
    expect([hashesPerProcess(2, 1), hashesPerProcess(2, 2), hashesPerProcess(4, 3), hashesPerProcess(2, 8)]).toEqual([
      2, 1, 2, 1,
    ]);
    const cores = os.availableParallelism();
    expect(loadConfig({ LECTIO_API_PROCESSES: String(cores) }).passwordHashConcurrency).toBe(1);
    expect(loadConfig({}).passwordHashConcurrency).toBe(cores);
    expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: '3', LECTIO_API_PROCESSES: '2' }).passwordHashConcurrency).toBe(3);
    expect(problemsOf({ PASSWORD_HASH_CONCURRENCY: '0' })).toEqual(['PASSWORD_HASH_CONCURRENCY']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).http.port).toBe(3000);
  });
});

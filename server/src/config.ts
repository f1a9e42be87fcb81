import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The environment is read here and nowhere else. Every variable is listed in README.md with its
 * default; keep the two in step.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const csv = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

/** V8 old-space limit (MB) of each API process `serve --processes` starts; see main/cluster.ts. */
export const DEFAULT_API_HEAP_LIMIT_MB = 192;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(1, 65535).default(3000),
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LECTIO_DATA_DIR: z.string().min(1).default('data'),
  APP_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),

  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_REPLICA_URLS: csv(url(['postgres:', 'postgresql:'])).optional(),
  /** Per API process; by default DATABASE_POOL_TOTAL shared out over LECTIO_API_PROCESSES (see poolPerProcess). */
  DATABASE_POOL_MAX: int(1, 500).optional(),
  DATABASE_POOL_TOTAL: int(1, 5000).default(20),
  /** How many API processes share this host's pool budget; set by `serve --processes` for its workers. */
  LECTIO_API_PROCESSES: int(1, 1024).default(1),
  /** V8's old-space limit for each process `serve --processes` starts (see main/cluster.ts). */
  API_HEAP_LIMIT_MB: int(64, 65_536).default(DEFAULT_API_HEAP_LIMIT_MB),
  /** Node's own; read only to see whether the operator already set a heap limit. */
  NODE_OPTIONS: z.string().optional(),
  /** Argon2 hashes at once per process; by default this host's cores shared out over its API processes. */
  PASSWORD_HASH_CONCURRENCY: int(1, 64).optional(),

  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, { message: 'expected 1-40 letters, digits, - or _' })
    .default('lectio'),
  QUEUE_BACKEND: z.enum(['auto', 'embedded', 'bullmq']).default('auto'),
  QUEUE_VIDEO_CONCURRENCY: int(0, 64).default(1),
  QUEUE_DEFAULT_CONCURRENCY: int(0, 64).default(4),
  JOB_LEASE_SECONDS: int(1, 3600).default(30),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 3600).default(30),

  STORAGE_BACKEND: z.enum(['auto', 'local', 's3']).default('auto'),
  S3_ENDPOINT: url(['http:', 'https:']).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.optional(),
  S3_BUCKET_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]*$/, { message: 'expected lowercase letters, digits, dots and dashes' })
    .default('lectio-'),

  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('Lectio <no-reply@lectio.localhost>'),

  CORS_ORIGINS: csv(url(['http:', 'https:'])).default([]),
  RATE_LIMIT_MAX: int(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  TRUST_PROXY: bool.default(false),
  SEED_DEMO_DATA: bool.optional(),
  SEED_DEMO_VIDEO: bool.default(true),

  JWT_SIGNING_KEYS: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(30, 900).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 90).default(7),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 60).default(10),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false'], { message: 'expected auto, true or false' }).default('auto'),

  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  VIDEO_MAX_UPLOAD_GB: z.coerce.number().positive().max(5_000).default(20),
  VIDEO_MAX_PER_INSTRUCTOR: int(1, 1_000_000).default(1_000),
  VIDEO_MAX_OPEN_UPLOADS: int(1, 1_000).default(10),
  VIDEO_QUOTA_GB_PER_INSTRUCTOR: z.coerce.number().positive().max(1_000_000).default(500),
  VIDEO_MAX_DURATION_MINUTES: int(1, 24 * 60).default(6 * 60),
  VIDEO_MAX_LONG_SIDE: int(144, 16_384).default(4096),
  TRANSCODE_TIMEOUT_MINUTES: int(1, 24 * 60).default(6 * 60),
  TRANSCODE_PRESET: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'])
    .default('veryfast'),
  VIDEO_RAW_COLD_AFTER_DAYS: int(1, 3650).default(30),
  VIDEO_OLD_VERSION_RETENTION_HOURS: int(0, 24 * 90).default(24),
  CDN_CLOUDFRONT_DISTRIBUTION_ID: z.string().min(1).optional(),

  PLAYBACK_SIGNING_KEY: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  PLAYBACK_TOKEN_TTL_SECONDS: int(10, 86_400).default(3600),
  PLAYBACK_MAX_SESSIONS: int(1, 100).default(2),
  PLAYBACK_MEDIA_URL: url(['http:', 'https:']).optional(),

  PAYMENTS_BACKEND: z.enum(['auto', 'test', 'stripe', 'none']).default('auto'),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, { message: 'must be a Stripe secret key (sk_… or rk_…)' })
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\S+$/, { message: 'must start with whsec_' })
    .optional(),
  /** Only for tests: where the Stripe client sends API calls (a local stand-in); unset = api.stripe.com. */
  STRIPE_API_BASE: url(['http:', 'https:']).optional(),
  CHECKOUT_EXPIRES_MINUTES: int(30, 24 * 60).default(60),
  PAYMENTS_RECONCILE_AFTER_MINUTES: int(1, 24 * 60).default(15),
  REFUND_WINDOW_DAYS: int(0, 365).default(7),
  REFUND_MAX_WATCHED_PERCENT: int(0, 100).default(30),
  BACKUP_RETENTION_DAYS: int(1, 3650).default(30),

  METRICS_PORT: int(1, 65535).optional(),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).default('lectio'),
});

const GIB = 1024 ** 3;

export interface SigningKey {
  kid: string;
  secret: string;
}

/** "kid:secret,kid2:secret2" → keys, or a message saying what is wrong (never echoing a secret). */
function parseSigningKeys(value: string): SigningKey[] | string {
  const keys: SigningKey[] = [];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const kid = colon > 0 ? part.slice(0, colon) : '';
    const secret = colon > 0 ? part.slice(colon + 1) : '';
    if (!/^[A-Za-z0-9._-]{1,40}$/.test(kid)) return `expected "kid:secret,…" with kids of 1-40 letters, digits, . _ -`;
    if (secret.length < 32) return `the secret of key "${kid}" must be at least 32 characters`;
    if (keys.some((k) => k.kid === kid)) return `key id "${kid}" appears twice`;
    keys.push({ kid, secret });
  }
  return keys.length ? keys : 'expected at least one "kid:secret"';
}

export const BUCKETS = [
  'videos-raw',
  'videos-processed',
  'thumbnails',
  'attachments',
  'backups',
  'certificates',
] as const;
export type BucketName = (typeof BUCKETS)[number];

export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  /** true when the database is the embedded PGlite: the demo-only features key off this. */
  embedded: boolean;
  http: {
    host: string;
    port: number;
    publicUrl: string;
    corsOrigins: string[];
    trustProxy: boolean;
    rateLimit: { max: number; windowMs: number };
  };
  logLevel: string;
  dataDir: string;
  appSecret: string | undefined;
  database:
    | { backend: 'pglite'; dataDir: string }
    | { backend: 'postgres'; url: string; replicaUrls: string[]; poolMax: number };
  cache: { backend: 'memory' } | { backend: 'redis'; url: string; prefix: string };
  queue: {
    backend: 'embedded' | 'bullmq';
    redisUrl: string | undefined;
    /** Namespace of the queue's Redis keys, so deployments (or test runs) can share one Redis. */
    redisPrefix: string;
    concurrency: { video: number; default: number };
    leaseMs: number;
    shutdownTimeoutMs: number;
  };
  /** For the API processes `serve --processes` forks. */
  apiProcesses: { heapLimitMb: number; nodeOptions: string | undefined };
  /** Argon2 hashes one process runs at once (see hashesPerProcess). */
  passwordHashConcurrency: number;
  storage:
    | { backend: 'local'; root: string }
    | {
        backend: 's3';
        endpoint: string | undefined;
        region: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
        bucketPrefix: string;
      };
  mail: { backend: 'outbox' } | { backend: 'smtp'; url: string; from: string };
  mailFrom: string;
  seedDemoData: boolean;
  /** With the demo data: generate a lecture and transcode it (tests that do not watch it turn it off). */
  seedDemoVideo: boolean;
  auth: {
    /** The first key signs, all verify. Undefined: derive one from the app secret (embedded/dev only). */
    signingKeys: SigningKey[] | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenTtlMs: number;
    /** A refresh token reused within this window is a race between tabs, not a theft. */
    refreshReuseGraceMs: number;
    cookieSecure: boolean;
  };
  video: {
    ffmpegPath: string;
    ffprobePath: string;
    maxUploadBytes: number;
    maxVideosPerInstructor: number;
    maxOpenUploadsPerInstructor: number;
    quotaBytesPerInstructor: number;
    maxDurationSeconds: number;
    /** Longest side of the displayed picture a source may have. */
    maxLongSide: number;
    transcodeTimeoutMs: number;
    preset: string;
    rawColdAfterDays: number;
    /** How long a replaced version's files stay (players mid-stream, CDN caches) before removal. */
    oldVersionRetentionMs: number;
  };
  /** CloudFront distribution to invalidate on publish; none means a no-op (local and nginx edge). */
  cdn: { backend: 'none' } | { backend: 'cloudfront'; distributionId: string };
  playback: {
    /**
     * The HMAC key of playback tokens, shared with the nginx edge and the CloudFront Function.
     * Undefined: derived from the app secret (embedded/dev only; production must set it).
     */
    signingKey: string | undefined;
    tokenTtlSeconds: number;
    /** Open playback sessions per account; a grant beyond it ends the oldest. */
    maxSessions: number;
    /** Origin that serves `/media/p/…`: the app itself, an nginx edge or a CloudFront distribution. */
    mediaBaseUrl: string;
  };
  payments: {
    /**
     * stripe: Stripe Checkout and webhooks. test: the built-in gateway (a checkout page inside
     * Lectio that sends Stripe-signed webhooks), the embedded default. none: paid courses cannot be
     * bought (production without Stripe keys, unless PAYMENTS_BACKEND=test is asked for).
     */
    backend: 'stripe' | 'test' | 'none';
    /** Stripe only. */
    stripeSecretKey: string | undefined;
    /** Stripe's endpoint secret; for the test gateway one is derived from the app secret. */
    stripeWebhookSecret: string | undefined;
    stripeApiBase: string | undefined;
    /** A checkout session's life (Stripe allows 30 minutes to 24 hours). */
    checkoutExpiresMs: number;
    /** A pending order older than this is settled by asking the gateway. */
    reconcileAfterMs: number;
    refund: { windowDays: number; maxWatchedPercent: number };
  };
  backups: {
    /** Scheduled and manual backups older than this are deleted (the newest of each kind is always kept). */
    retentionDays: number;
  };
  tracing: {
    /** OTLP/HTTP collector base URL; undefined = spans are not exported (trace ids still made for logs). */
    otlpEndpoint: string | undefined;
    serviceName: string;
  };
  metrics: {
    /** A listener serving only /metrics, for scrapers inside the private network; undefined = none. */
    port: number | undefined;
    /** Bearer token that opens /metrics on the public port; undefined = not served there. */
    token: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n') +
        '\nSee the "Configuration" section of README.md.',
    );
    this.name = 'ConfigError';
  }
}

/** Turns an environment into a Config, or throws a ConfigError naming every bad variable. */
/**
 * Connections per API process when DATABASE_POOL_MAX is not set: the host's budget shared out, at
 * most 10 (one event loop seldom has more queries usefully in flight; more only queue inside
 * PostgreSQL instead of in the pool) and at least 2 (a transaction and a read at once).
 */
export function poolPerProcess(total: number, processes: number): number {
  return Math.max(2, Math.min(10, Math.floor(total / processes)));
}

/**
 * An Argon2 hash keeps one core busy for its whole run and holds 19 MiB meanwhile. One hash per
 * core on the host keeps every core working on a burst of log-ins; more would only add memory
 * (each process's share waits in its queue instead of inside libuv). Two API processes on two
 * cores therefore run one each; a single process on the same host runs two.
 */
export function hashesPerProcess(cores: number, processes: number): number {
  return Math.max(1, Math.ceil(cores / processes));
}

export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  // Empty strings mean "unset": `FOO= lectio serve` should fall back to the default, not fail.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'environment');
        const got = cleaned[variable];
        return { variable, message: got === undefined ? issue.message : `${issue.message} (got "${got}")` };
      }),
    );
  }
  const e = parsed.data;
  const problems: { variable: string; message: string }[] = [];
  const isProduction = e.NODE_ENV === 'production';
  const dataDir = path.resolve(cwd, e.LECTIO_DATA_DIR);
  const embedded = !e.DATABASE_URL;

  if (e.DATABASE_REPLICA_URLS?.length && !e.DATABASE_URL) {
    problems.push({ variable: 'DATABASE_REPLICA_URLS', message: 'needs DATABASE_URL (the primary) as well' });
  }
  const queueBackend = e.QUEUE_BACKEND === 'auto' ? (e.REDIS_URL ? 'bullmq' : 'embedded') : e.QUEUE_BACKEND;
  if (queueBackend === 'bullmq' && !e.REDIS_URL) {
    problems.push({ variable: 'QUEUE_BACKEND', message: 'bullmq needs REDIS_URL' });
  }
  const storageBackend = e.STORAGE_BACKEND === 'auto' ? (e.S3_ENDPOINT ? 's3' : 'local') : e.STORAGE_BACKEND;
  if (isProduction && !e.APP_SECRET) {
    problems.push({ variable: 'APP_SECRET', message: 'is required when NODE_ENV=production' });
  }
  const signingKeys = e.JWT_SIGNING_KEYS === undefined ? undefined : parseSigningKeys(e.JWT_SIGNING_KEYS);
  if (typeof signingKeys === 'string') problems.push({ variable: 'JWT_SIGNING_KEYS', message: signingKeys });
  if (isProduction && !e.PLAYBACK_SIGNING_KEY) {
    // The edge (nginx, CloudFront) must hold the same key, so it cannot be derived per install.
    problems.push({ variable: 'PLAYBACK_SIGNING_KEY', message: 'is required when NODE_ENV=production' });
  }
  if (isProduction && !e.JWT_SIGNING_KEYS) {
    problems.push({ variable: 'JWT_SIGNING_KEYS', message: 'is required when NODE_ENV=production' });
  }
  const hasStripe = Boolean(e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET);
  if (e.PAYMENTS_BACKEND === 'stripe' && !hasStripe) {
    problems.push({
      variable: 'PAYMENTS_BACKEND',
      message: 'stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET',
    });
  }
  if (Boolean(e.STRIPE_SECRET_KEY) !== Boolean(e.STRIPE_WEBHOOK_SECRET)) {
    const missing = e.STRIPE_SECRET_KEY ? 'STRIPE_WEBHOOK_SECRET' : 'STRIPE_SECRET_KEY';
    problems.push({ variable: missing, message: 'is required with the other Stripe key' });
  }
  // A fake gateway taking "payments" in production must be asked for by name (a staging site).
  const paymentsBackend =
    e.PAYMENTS_BACKEND !== 'auto' ? e.PAYMENTS_BACKEND : hasStripe ? 'stripe' : isProduction ? 'none' : 'test';
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    problems.push({
      variable: 'METRICS_PORT',
      message: 'must differ from PORT (the internal listener has no token check)',
    });
  }
  if (problems.length) throw new ConfigError(problems);

  // Embedded mode is a single-user demo on a laptop: keep it off the network unless asked.
  const host = e.HOST ?? (embedded ? '127.0.0.1' : '0.0.0.0');
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = (e.PUBLIC_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/$/, '');
  // Browsers drop Secure cookies on plain http, except that localhost counts as secure for some only.
  const plainLocalhost = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(publicUrl);

  return {
    env: e.NODE_ENV,
    isProduction,
    embedded,
    http: {
      host,
      port: e.PORT,
      publicUrl,
      corsOrigins: e.CORS_ORIGINS,
      trustProxy: e.TRUST_PROXY,
      rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000 },
    },
    logLevel: e.LOG_LEVEL,
    dataDir,
    appSecret: e.APP_SECRET,
    database: e.DATABASE_URL
      ? {
          backend: 'postgres',
          url: e.DATABASE_URL,
          replicaUrls: e.DATABASE_REPLICA_URLS ?? [],
          poolMax: e.DATABASE_POOL_MAX ?? poolPerProcess(e.DATABASE_POOL_TOTAL, e.LECTIO_API_PROCESSES),
        }
      : { backend: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    cache: e.REDIS_URL ? { backend: 'redis', url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : { backend: 'memory' },
    queue: {
      backend: queueBackend,
      redisUrl: e.REDIS_URL,
      redisPrefix: e.REDIS_PREFIX,
      concurrency: { video: e.QUEUE_VIDEO_CONCURRENCY, default: e.QUEUE_DEFAULT_CONCURRENCY },
      leaseMs: e.JOB_LEASE_SECONDS * 1000,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    },
    apiProcesses: { heapLimitMb: e.API_HEAP_LIMIT_MB, nodeOptions: e.NODE_OPTIONS },
    passwordHashConcurrency:
      e.PASSWORD_HASH_CONCURRENCY ?? hashesPerProcess(os.availableParallelism(), e.LECTIO_API_PROCESSES),
    storage:
      storageBackend === 's3'
        ? {
            backend: 's3',
            endpoint: e.S3_ENDPOINT,
            region: e.S3_REGION,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
            // Self-hosted S3 servers (MinIO, s3rver) want path-style; AWS prefers virtual hosts.
            forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
            bucketPrefix: e.S3_BUCKET_PREFIX,
          }
        : { backend: 'local', root: path.join(dataDir, 'storage') },
    mail: e.SMTP_URL ? { backend: 'smtp', url: e.SMTP_URL, from: e.MAIL_FROM } : { backend: 'outbox' },
    mailFrom: e.MAIL_FROM,
    seedDemoData: e.SEED_DEMO_DATA ?? (!isProduction && embedded),
    seedDemoVideo: e.SEED_DEMO_VIDEO,
    auth: {
      signingKeys: signingKeys as SigningKey[] | undefined,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlMs: e.REFRESH_TOKEN_TTL_DAYS * 86_400_000,
      refreshReuseGraceMs: e.REFRESH_REUSE_GRACE_SECONDS * 1000,
      cookieSecure: e.COOKIE_SECURE === 'auto' ? !plainLocalhost : e.COOKIE_SECURE === 'true',
    },
    video: {
      ffmpegPath: e.FFMPEG_PATH,
      ffprobePath: e.FFPROBE_PATH,
      maxUploadBytes: Math.round(e.VIDEO_MAX_UPLOAD_GB * GIB),
      maxVideosPerInstructor: e.VIDEO_MAX_PER_INSTRUCTOR,
      maxOpenUploadsPerInstructor: e.VIDEO_MAX_OPEN_UPLOADS,
      quotaBytesPerInstructor: Math.round(e.VIDEO_QUOTA_GB_PER_INSTRUCTOR * GIB),
      maxDurationSeconds: e.VIDEO_MAX_DURATION_MINUTES * 60,
      maxLongSide: e.VIDEO_MAX_LONG_SIDE,
      transcodeTimeoutMs: e.TRANSCODE_TIMEOUT_MINUTES * 60_000,
      preset: e.TRANSCODE_PRESET,
      rawColdAfterDays: e.VIDEO_RAW_COLD_AFTER_DAYS,
      oldVersionRetentionMs: e.VIDEO_OLD_VERSION_RETENTION_HOURS * 3_600_000,
    },
    cdn: e.CDN_CLOUDFRONT_DISTRIBUTION_ID
      ? { backend: 'cloudfront', distributionId: e.CDN_CLOUDFRONT_DISTRIBUTION_ID }
      : { backend: 'none' },
    playback: {
      signingKey: e.PLAYBACK_SIGNING_KEY,
      tokenTtlSeconds: e.PLAYBACK_TOKEN_TTL_SECONDS,
      maxSessions: e.PLAYBACK_MAX_SESSIONS,
      mediaBaseUrl: (e.PLAYBACK_MEDIA_URL ?? publicUrl).replace(/\/+$/, ''),
    },
    payments: {
      backend: paymentsBackend,
      stripeSecretKey: e.STRIPE_SECRET_KEY,
      stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
      stripeApiBase: e.STRIPE_API_BASE,
      checkoutExpiresMs: e.CHECKOUT_EXPIRES_MINUTES * 60_000,
      reconcileAfterMs: e.PAYMENTS_RECONCILE_AFTER_MINUTES * 60_000,
      refund: { windowDays: e.REFUND_WINDOW_DAYS, maxWatchedPercent: e.REFUND_MAX_WATCHED_PERCENT },
    },
    backups: { retentionDays: e.BACKUP_RETENTION_DAYS },
    metrics: { port: e.METRICS_PORT, token: e.METRICS_TOKEN },
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
  };
}

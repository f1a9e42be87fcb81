import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';
import { freePort } from './support/private-services.js';
import { waitUntil } from './support/servers.js';

/**
 * The container image's entry point (deploy/docker/Dockerfile's ENTRYPOINT), run here as the image
 * runs it, against a fresh database on the test PostgreSQL and the test Redis: it builds the
 * connection URLs from the separate values ECS injects from Secrets Manager, applies the
 * migrations, then serves until /health/ready answers; SIGTERM stops it cleanly.
 * Needs `npm run build -w server` (CI builds before testing).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRYPOINT = path.join(ROOT, 'deploy/docker/entrypoint.sh');
const MIGRATIONS = JSON.parse(readFileSync(path.join(ROOT, 'server/migrations/meta/_journal.json'), 'utf8')) as {
  entries: unknown[];
};

describe('deploy/docker/entrypoint.sh: migrate, then serve', () => {
  let db: TestDatabase;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let output = '';
  const redisPrefix = `lectio-ep-${randomBytes(4).toString('hex')}`;
  const secrets = {
    APP_SECRET: `app-${randomBytes(24).toString('hex')}`,
    JWT_SIGNING_SECRET: `jwt-${randomBytes(24).toString('hex')}`,
    PLAYBACK_SIGNING_KEY: `pbk-${randomBytes(24).toString('hex')}`,
  };

  beforeAll(async () => {
    db = await createPostgresDatabase({ migrate: false });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-entrypoint-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await db?.dispose();
    // The shared Redis keeps nothing of this run.
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a migrated fresh database and stops on SIGTERM', { timeout: 120_000 }, async () => {
    const database = new URL(db.url!);
    const redis = new URL(inject('redisUrl'));
    // Characters a URL must escape: the script encodes them (the test server trusts local
    // connections, so only a password it actually checks is taken from its URL).
    const password = database.password ? decodeURIComponent(database.password) : 'p@ss:w/rd%?#&';
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LECTIO_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DB_HOST: database.hostname,
      DB_PORT: database.port || '5432',
      DB_NAME: database.pathname.slice(1),
      DB_USER: decodeURIComponent(database.username),
      DB_PASSWORD: password,
      // The same server stands in for the read replica.
      DB_REPLICA_HOSTS: database.hostname,
      REDIS_HOST: redis.hostname,
      REDIS_PORT: redis.port || '6379',
      REDIS_PREFIX: redisPrefix,
      JWT_SIGNING_KEY_ID: 'k1',
      API_HEAP_LIMIT_MB: '160',
      ...secrets,
    };

    const started = Date.now();
    child = spawn('sh', [ENTRYPOINT, 'serve', '--api'], { cwd: os.tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exitedEarly = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`entry script exited (${code}) before serving:\n${output}`))),
    );

    const ready = await Promise.race([
      waitUntil(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
        },
        '/health/ready',
        90_000,
      ),
      exitedEarly,
    ]);
    console.log(`entry script: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(ready.status).toBe('ok');
    expect(JSON.stringify(ready)).toContain('postgres');

    // The migration step ran before the server, and left every migration applied.
    expect(output).toMatch(/Applied \d+ migration\(s\)\./);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
      expect(Number(rows[0]!.n)).toBe(MIGRATIONS.entries.length);
    } finally {
      await client.end();
    }

    // The app got URLs, not parts: the password and tokens are gone from its environment.
    const appEnv = Object.fromEntries(
      readFileSync(`/proc/${child.pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
    const userinfo = `${encodeURIComponent(env.DB_USER!)}:${encodeURIComponent(password)}`;
    const dbPath = `${database.hostname}:${env.DB_PORT}/${env.DB_NAME}`;
    expect(appEnv.DATABASE_URL).toBe(`postgres://${userinfo}@${dbPath}`);
    expect(appEnv.DATABASE_REPLICA_URLS).toBe(`postgres://${userinfo}@${dbPath}`);
    expect(appEnv.REDIS_URL).toBe(`redis://${redis.hostname}:${env.REDIS_PORT}`);
    expect(appEnv.JWT_SIGNING_KEYS).toBe(`k1:${secrets.JWT_SIGNING_SECRET}`);
    expect(appEnv).not.toHaveProperty('DB_PASSWORD');
    expect(appEnv).not.toHaveProperty('JWT_SIGNING_SECRET');

    // A lone API process runs under the configured heap limit, as each `--processes` one does.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).toContain('--max-old-space-size=160');

    // SIGTERM reaches the app itself (exec), which drains and exits cleanly.
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    exitedEarly.catch(() => undefined);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    // Nothing secret was printed.
    for (const secret of [password, ...Object.values(secrets)]) expect(output).not.toContain(secret);
  });
});

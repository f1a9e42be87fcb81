import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPgBouncer, type PgBouncer } from './support/pgbouncer.js';
import {
  rawRequest,
  REPO_ROOT,
  renderTemplate,
  selfSignedCertificate,
  startNginx,
  type Nginx,
  type RawRequest,
} from './support/nginx.js';
import { freePort } from './support/private-services.js';
import { deleteRedisPrefix } from './support/queue-backends.js';
import { waitUntil } from './support/servers.js';

/**
 * The production shape on one machine: deploy/nginx/lb.conf (real nginx, TLS) in front of two API
 * processes and a worker process (`lectio serve --api` / `--worker` from the build), all reaching a
 * fresh database on the test PostgreSQL through a private PgBouncer running
 * deploy/pgbouncer/pgbouncer.ini (transaction pooling), and Redis for cache, rate limits and
 * BullMQ. One API process is killed under load; the app's rate limit is shared; PgBouncer logs no
 * error. Everything started here is stopped in afterAll; the shared PostgreSQL and Redis are only
 * used (one database created and dropped, keys under a fresh prefix).
 */

const CLI = path.join(REPO_ROOT, 'server/bin/lectio.js');
const BUILT = path.join(REPO_ROOT, 'server/dist/main/cli.js');

interface LectioProcess {
  name: string;
  port: number | undefined;
  child: ChildProcess;
  output(): string;
}

interface LogEntry {
  client: string;
  method: string;
  path: string;
  status: number;
  upstream: string;
}

describe('load balancer + PgBouncer + two API instances + a worker [postgres+redis]', { timeout: 120_000 }, () => {
  const adminUrl = inject('databaseUrl');
  const database = `lectio_lb_${randomBytes(5).toString('hex')}`;
  const redisPrefix = `lb${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-lb-data-'));
  const processes: LectioProcess[] = [];
  let bouncer: PgBouncer | undefined;
  let lb: Nginx | undefined;
  let ca: string;
  let httpsPort: number;
  let accessLog: string;
  let databaseCreated = false;
  const api: LectioProcess[] = [];

  const https = (req: RawRequest) => rawRequest({ port: httpsPort, ca }, req);
  const logEntries = () =>
    readFileSync(accessLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogEntry);

  async function query<T extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }
  const directUrl = () => {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  };

  function startLectio(name: string, role: '--api' | '--worker', env: Record<string, string>, port?: number) {
    let output = '';
    const child = spawn(process.execPath, [CLI, 'serve', role], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...(port ? { PORT: String(port) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // If the test process dies before afterAll, the servers must not outlive it.
    process.once('exit', () => child.kill('SIGKILL'));
    const started: LectioProcess = { name, port, child, output: () => output };
    processes.push(started);
    return started;
  }

  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error('The server is not built: run `npm run build -w server` first.');
    await query(adminUrl, `create database ${database}`);
    databaseCreated = true;
    bouncer = await startPgBouncer(adminUrl, database);

    httpsPort = await freePort();
    const httpPort = await freePort();
    const apiPorts = [await freePort(), await freePort()];
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: bouncer.url,
      DATABASE_POOL_MAX: '10',
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: redisPrefix,
      LECTIO_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PUBLIC_URL: `https://localhost:${httpsPort}`,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      APP_SECRET: 'a'.repeat(40),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'p'.repeat(40),
      // Production refuses the built-in gateway unless asked; commerce plays no part here.
      PAYMENTS_BACKEND: 'none',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    };
    // All three start at once and migrate concurrently through PgBouncer (a transaction-level lock).
    api.push(startLectio('api-1', '--api', env, apiPorts[0]), startLectio('api-2', '--api', env, apiPorts[1]));
    startLectio('worker', '--worker', env);
    for (const instance of api) {
      await waitUntil(
        async () => {
          if (instance.child.exitCode !== null) throw new Error(`${instance.name} exited:\n${instance.output()}`);
          const res = await fetch(`http://127.0.0.1:${instance.port}/health/ready`);
          return res.ok ? true : undefined;
        },
        `${instance.name} ready`,
        60_000,
      );
    }

    lb = await startNginx({
      ports: [httpsPort, httpPort],
      http: (dir) => {
        const { cert, key } = selfSignedCertificate(dir);
        ca = readFileSync(cert, 'utf8');
        accessLog = path.join(dir, 'access.log');
        return renderTemplate('lb.conf', {
          LECTIO_LB_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
          LECTIO_LB_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
          LECTIO_TLS_CERTIFICATE: cert,
          LECTIO_TLS_CERTIFICATE_KEY: key,
          LECTIO_API_1: `127.0.0.1:${apiPorts[0]}`,
          LECTIO_API_2: `127.0.0.1:${apiPorts[1]}`,
          LECTIO_LB_ACCESS_LOG: accessLog,
          LECTIO_LB_TRUSTED_PROXY: '127.0.0.1/32',
        });
      },
    });
  });

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(
      processes.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await bouncer?.stop();
    if (databaseCreated) await query(adminUrl, `drop database if exists ${database} with (force)`);
    // Cache, rate-limit and BullMQ keys all live under this run's prefix.
    await deleteRedisPrefix(inject('redisUrl'), redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds the app’s rate limit across both instances, and the worker delivers through PgBouncer', async () => {
    const client = '127.0.0.77';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await https({
        method: 'POST',
        path: '/api/v1/auth/register',
        localAddress: client,
        body: JSON.stringify({
          email: `lb-${i}@lectio.localhost`,
          password: 'a-long-enough-password',
          displayName: `LB ${i}`,
          locale: 'en',
          consents: { terms: true, privacy: true, marketing: false },
        }),
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'rate_limited' } });
      }
    }
    // Registration allows 5 an hour per address; the app sees the client's address, not nginx's.
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const answered = logEntries().filter((e) => e.client === client && e.path === '/api/v1/auth/register');
    const byInstance = new Set(answered.filter((e) => e.status === 202).map((e) => e.upstream));
    expect(byInstance.size, 'the five accepted sign-ups were answered by both instances').toBe(2);
    expect(new Set(answered.filter((e) => e.status === 429).map((e) => e.upstream)).size).toBeGreaterThanOrEqual(1);

    // Each sign-up queued a verification mail; the worker process wrote it to the outbox.
    const mailed = await waitUntil(
      async () => {
        const rows = await query<{ n: string }>(
          directUrl(),
          `select count(*) as n from mail_outbox where "to"::text like '%lb-%@lectio.localhost%'`,
        );
        return Number(rows[0]?.n) === 5 ? 5 : undefined;
      },
      'five verification mails from the worker',
      30_000,
    );
    expect(mailed).toBe(5);
  });

  it('loses no request beyond those in flight when an API instance is killed under load', async () => {
    const clients = 12;
    const durationMs = 4_000;
    const killAtMs = 1_500;
    const agents: HttpsAgent[] = [];
    const results: { ok: boolean; status: number; error?: string; startedAt: number }[] = [];
    let inFlight = 0;
    let inFlightAtKill = -1;
    const started = Date.now();
    const victim = api[0]!;
    const killer = setTimeout(() => {
      inFlightAtKill = inFlight;
      victim.child.kill('SIGKILL');
    }, killAtMs);

    const targets = (i: number) =>
      [
        '/health/ready',
        `/api/v1/courses?sort=${['newest', 'popular', 'rating'][i % 3]}&page=${1 + (i % 7)}`,
        `/api/v1/courses/no-such-course-${i % 50}`,
      ][i % 3]!;
    // Each client (its own loopback address) sends a request every 80 ms: ~12/s, under the
    // per-client limit, ~150/s in all.
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const localAddress = `127.0.1.${10 + c}`;
        // A browser keeps its connection open; so does each simulated client.
        const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
        agents.push(agent);
        for (let i = 0; Date.now() - started < durationMs; i++) {
          const startedAt = Date.now() - started;
          inFlight++;
          try {
            const res = await rawRequest(
              { port: httpsPort, ca, agent },
              { path: targets(i + c), localAddress, timeoutMs: 10_000 },
            );
            // 200 and 404 (the unknown course) are answers; a 5xx is a failed request.
            results.push({ ok: res.status < 500, status: res.status, startedAt });
          } catch (error) {
            results.push({ ok: false, status: 0, error: String(error), startedAt });
          } finally {
            inFlight--;
          }
          await new Promise((r) => setTimeout(r, Math.max(0, 80 - (Date.now() - started - startedAt))));
        }
      }),
    );
    clearTimeout(killer);
    for (const agent of agents) agent.destroy();
    expect(victim.child.signalCode).toBe('SIGKILL');

    const failed = results.filter((r) => !r.ok);
    const statuses = results.reduce<Record<number, number>>(
      (m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }),
      {},
    );
    console.log(
      `load: ${results.length} requests in ${durationMs} ms from ${clients} clients; ` +
        `in flight at the kill: ${inFlightAtKill}; failed: ${failed.length}; statuses ${JSON.stringify(statuses)}`,
    );
    // Real load on both sides of the kill (the counts vary with the machine; these are floors).
    expect(results.filter((r) => r.startedAt < killAtMs).length).toBeGreaterThan(50);
    expect(results.filter((r) => r.startedAt > killAtMs + 500).length).toBeGreaterThan(50);
    expect(statuses[429] ?? 0).toBe(0);
    expect(failed.length).toBeLessThanOrEqual(inFlightAtKill);
    // Whatever failed had started before the kill; everything after it succeeded.
    for (const f of failed) expect(f.startedAt).toBeLessThanOrEqual(killAtMs);

    // Before the kill both instances served; after it, only the survivor did.
    const survivor = `127.0.0.1:${api[1]!.port}`;
    const load = logEntries().filter((e) => e.client.startsWith('127.0.1.'));
    expect(new Set(load.map((e) => e.upstream.split(', ').at(-1))).size).toBe(2);
    const after = load.slice(-50);
    expect(after.every((e) => e.upstream === survivor)).toBe(true);
  });

  it('reaches PostgreSQL only through PgBouncer in transaction mode, within 100 server connections, without errors', async () => {
    const admin = bouncer!.adminUrl;
    const settings = new Map(
      (await query<{ key: string; value: string }>(admin, 'SHOW CONFIG')).map((r) => [r.key, r.value]),
    );
    expect(settings.get('pool_mode')).toBe('transaction');
    expect(settings.get('max_db_connections')).toBe('100');
    const [entry] = (await query<{ name: string; max_connections: number }>(admin, 'SHOW DATABASES')).filter(
      (r) => r.name === database,
    );
    expect(entry?.max_connections).toBe(100);
    const stats = (
      await query<{ database: string; total_xact_count: string; total_query_count: string }>(admin, 'SHOW STATS')
    ).find((r) => r.database === database)!;
    // Every connection the app made went through PgBouncer: PostgreSQL sees only PgBouncer's, far
    // fewer than the transactions they carried.
    const backends = await query<{ n: string; apps: string[] }>(
      adminUrl,
      `select count(*) as n, array_agg(distinct application_name) as apps from pg_stat_activity where datname = $1`,
      [database],
    );
    const serverConnections = Number(backends[0]!.n);
    expect(serverConnections).toBeLessThanOrEqual(100);
    expect(Number(stats.total_xact_count)).toBeGreaterThan(serverConnections * 10);
    console.log(
      `PgBouncer: ${stats.total_xact_count} transactions, ${stats.total_query_count} queries over ${serverConnections} server connections`,
    );

    // Parameterised queries (node-postgres's unnamed extended-protocol statements, as Drizzle sends
    // them) interleaved by many clients on few server connections, inside and outside transactions.
    const pool = new pg.Pool({ connectionString: bouncer!.url, max: 30 });
    try {
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const c = await pool.connect();
          try {
            await c.query('begin');
            const { rows } = await c.query<{ v: number }>('select $1::int + $2::int as v', [i, 1]);
            expect(rows[0]!.v).toBe(i + 1);
            await c.query('commit');
            const again = await c.query<{ t: string }>('select $1::text as t', [`x${i}`]);
            expect(again.rows[0]!.t).toBe(`x${i}`);
          } finally {
            c.release();
          }
        }),
      );
    } finally {
      await pool.end();
    }

    const log = bouncer!.log();
    expect(log).not.toMatch(/ERROR|FATAL|pooler error|prepared statement/i);
    // Neither the surviving API instance nor the worker logged an error (pino level 50+).
    for (const p of processes.filter((p) => p !== api[0])) {
      const errors = p
        .output()
        .split('\n')
        .filter((line) => /"level":(5\d|60)/.test(line));
      expect(errors, `${p.name} logged errors`).toEqual([]);
    }
    expect(lb!.errors()).not.toMatch(/\[(crit|alert|emerg)\]/);
  });
});

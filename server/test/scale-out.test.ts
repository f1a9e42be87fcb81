import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';
import { REPO_ROOT } from './support/nginx.js';
import { freePort } from './support/private-services.js';
import { deleteRedisPrefix } from './support/queue-backends.js';
import { waitUntil } from './support/servers.js';

/**
 * Scale-out from the build, as production runs it: `lectio serve --api --processes 2` (node:cluster,
 * two API processes on one port, the primary replacing one that dies, SIGTERM draining all), and two
 * `lectio serve --worker` processes on one PostgreSQL + Redis running each repeatable job once per
 * period, not once per worker. A fresh database on the test PostgreSQL and keys under a fresh Redis
 * prefix; every process started here is stopped here.
 */

const CLI = path.join(REPO_ROOT, 'server/bin/lectio.js');
const BUILT = path.join(REPO_ROOT, 'server/dist/main/cli.js');

interface Started {
  child: ChildProcess;
  output(): string;
}

function start(args: string[], env: Record<string, string>): Started {
  let output = '';
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, output: () => output };
}

function exited(child: ChildProcess, withinMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} still running after ${withinMs} ms`)),
      withinMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The live children of a process (the cluster's API workers), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Field 3 is the state (Z: exited, not yet reaped), field 4 the parent.
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** One request on a new connection (the cluster spreads connections, not requests). */
function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer in 10 s`)));
    req.on('error', reject);
  });
}

/** The pids that logged a completed request (pino puts the pid on every line). */
function pidsThatAnswered(output: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { pid?: number; msg?: string };
      if (entry.pid && entry.msg === 'request completed') pids.add(entry.pid);
    } catch {
      // not a log line
    }
  }
  return pids;
}

/** Completed runs of a job in one process, from its Prometheus metrics. */
async function completedRuns(port: number, job: string): Promise<number> {
  const res = await get(port, '/metrics');
  let sum = 0;
  for (const line of res.body.split('\n')) {
    if (line.startsWith('lectio_job_duration_seconds_count{') && line.includes(`job="${job}"`)) {
      if (line.includes('outcome="completed"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

describe('scale-out from the build [postgres+redis]', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  const redisPrefix = `so${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-scale-out-'));
  const started: Started[] = [];
  let env: Record<string, string>;
  const metricsPorts: number[] = [];
  const workers: Started[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error('The server is not built: run `npm run build -w server` first.');
    database = await createPostgresDatabase({ migrate: true });
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: database.url!,
      DATABASE_POOL_MAX: '4',
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: redisPrefix,
      QUEUE_BACKEND: 'bullmq',
      LECTIO_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      APP_SECRET: 'a'.repeat(40),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'p'.repeat(40),
      PAYMENTS_BACKEND: 'none',
      SEED_DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    };
    // The two workers start first: the schedule ticks once a minute, and the wait for the first
    // tick overlaps the API tests.
    metricsPorts.push(await freePort(), await freePort());
    for (const metricsPort of metricsPorts) {
      const worker = start(['serve', '--worker'], { ...env, METRICS_PORT: String(metricsPort) });
      started.push(worker);
      workers.push(worker);
    }
  });
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await database?.dispose();
    await deleteRedisPrefix(inject('redisUrl'), redisPrefix).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses --processes without --api alone, and on the embedded database, saying why', async () => {
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const refused = start(args, { LECTIO_DATA_DIR: dataDir, ...extra });
      return { status: await exited(refused.child, 60_000), output: refused.output() };
    };
    const [allInOne, worker, both, embedded, nonsense] = await Promise.all([
      run(['serve', '--processes', '2'], env),
      run(['serve', '--worker', '--processes', '2'], env),
      run(['serve', '--api', '--worker', '--processes', '2'], env),
      run(['serve', '--api', '--processes', '2']),
      run(['serve', '--api', '--processes', 'many'], env),
    ]);
    for (const result of [allInOne, worker, both]) {
      expect(result.status).toBe(78);
      expect(result.output).toContain('use it with --api alone');
    }
    expect(embedded.status).toBe(78);
    expect(embedded.output).toContain('embedded database (PGlite)');
    expect(nonsense.status).toBe(78);
    expect(nonsense.output).toContain('--processes takes a whole number');
  });

  it('serves one port from two API processes, replaces one that is killed, and drains on SIGTERM', async () => {
    const port = await freePort();
    const api = start(['serve', '--api', '--processes', '2'], { ...env, PORT: String(port) });
    started.push(api);
    const primary = api.child.pid!;
    const workers = await waitUntil(
      async () => {
        if (api.child.exitCode !== null) throw new Error(`cluster exited:\n${api.output()}`);
        const pids = childrenOf(primary);
        if (pids.length !== 2) return undefined;
        const ready = await get(port, '/health/ready').catch(() => undefined);
        return ready?.status === 200 ? pids : undefined;
      },
      'two API processes ready',
      60_000,
    );

    // Each runs with the default heap limit (API_HEAP_LIMIT_MB), so its memory stays bounded under load.
    for (const pid of workers) {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-old-space-size=192');
    }

    // Connections are spread over both processes: each one logs requests it answered.
    await waitUntil(
      async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => get(port, '/api/v1/courses')));
        for (const a of answers) expect(a.status).toBe(200);
        const pids = pidsThatAnswered(api.output());
        return workers.every((pid) => pids.has(pid)) ? true : undefined;
      },
      'both API processes answering',
      20_000,
    );

    // One dies: once the primary has seen it (a connection handed over in that very instant dies
    // with the process; node's round robin does not retry it), the port keeps answering, and the
    // primary starts a replacement.
    process.kill(workers[0]!, 'SIGKILL');
    await waitUntil(
      async () => (api.output().includes('API worker process exited; starting another') ? true : undefined),
      'the primary noticing the death',
      10_000,
    );
    const during = await Promise.all(Array.from({ length: 20 }, () => get(port, '/health/live')));
    expect(during.map((r) => r.status)).toEqual(during.map(() => 200));
    const replaced = await waitUntil(
      async () => {
        const pids = childrenOf(primary);
        return pids.length === 2 && !pids.includes(workers[0]!) ? pids : undefined;
      },
      'a replacement API process',
      30_000,
    );
    expect(replaced).toContain(workers[1]);

    // SIGTERM: every process drains and the primary exits cleanly.
    api.child.kill('SIGTERM');
    expect(await exited(api.child, 20_000)).toBe(0);
    expect(childrenOf(primary)).toEqual([]);
    for (const pid of replaced) expect(existsSync(`/proc/${pid}/stat`) && childrenOf(pid)).toBeFalsy();
  });

  it('runs each repeatable job once per period with two worker processes (BullMQ)', async () => {
    const runs = async (job: string) =>
      (await Promise.all(metricsPorts.map((p) => completedRuns(p, job)))).reduce((a, b) => a + b, 0);
    // Both workers are up (each answers its metrics) before the tick that is counted.
    await waitUntil(
      async () => {
        for (const w of workers) if (w.child.exitCode !== null) throw new Error(`worker exited:\n${w.output()}`);
        const up = await Promise.all(metricsPorts.map((p) => get(p, '/metrics').then((r) => r.status === 200)));
        return up.every(Boolean) ? true : undefined;
      },
      'both workers started',
      60_000,
    );
    const before = { progress: await runs('progress.flush'), views: await runs('analytics.flush-view-counts') };
    // The schedule ticks every minute: wait for the next tick both workers saw.
    await waitUntil(
      async () =>
        (await runs('progress.flush')) > before.progress && (await runs('analytics.flush-view-counts')) > before.views
          ? true
          : undefined,
      'a tick of the repeatable jobs',
      75_000,
    );
    // Time for a second worker's copy of the same tick to have run, were there one.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await runs('progress.flush')).toBe(before.progress + 1);
    expect(await runs('analytics.flush-view-counts')).toBe(before.views + 1);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => exited(w.child, 20_000)))).toEqual([0, 0]);
  }, 90_000);
});

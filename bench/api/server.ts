/**
 * Lectio in its production configuration, from the build, for the benchmarks: `serve --api` with
 * one process per core (`--processes`, when this build has it) and one `serve --worker`, on a
 * private PostgreSQL and Redis. Logs go to files (production logs are on: their cost is part of
 * what is measured; writing them to a file keeps the bench's own process out of it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../server/test/support/private-services.js';
import { processTree } from '../lib/load.js';

const CLI = fileURLToPath(new URL('../../server/dist/main/cli.js', import.meta.url));

export interface LectioOptions {
  databaseUrl: string;
  redisUrl: string;
  /** API processes wanted; 1 when this build has no `--processes`. */
  processes: number;
  worker: boolean;
  /** Extra environment (e.g. a test hook). */
  env?: Record<string, string>;
}

export interface LectioServer {
  url: string;
  appSecret: string;
  /** API processes actually started (1 without `--processes`). */
  processes: number;
  /** Whether the build supports `--processes` (detected from `serve --help`). */
  clusterFlag: boolean;
  /** The API's processes (cluster primary and workers), re-read on each call. */
  apiPids(): number[];
  workerPids(): number[];
  /** The settings that differ from a plain production deployment, to print in the report. */
  benchEnv: Record<string, string>;
  logDir: string;
  stop(): Promise<void>;
}

/** Whether this build's `serve` takes `--processes`. */
export function hasProcessesFlag(): boolean {
  try {
    return execFileSync(process.execPath, [CLI, 'serve', '--help'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .includes('--processes');
  } catch {
    return false;
  }
}

async function waitReady(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startLectio(opts: LectioOptions): Promise<LectioServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-data-'));
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-logs-'));
  const appSecret = randomBytes(32).toString('hex');
  const clusterFlag = hasProcessesFlag();
  const processes = clusterFlag ? opts.processes : 1;
  // Rate limits would turn a load test into a 429 test: raised for the bench, and said so.
  const benchEnv = {
    RATE_LIMIT_MAX: '1000000',
    TRUST_PROXY: 'true',
    PAYMENTS_BACKEND: 'test',
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    QUEUE_BACKEND: 'bullmq',
    STORAGE_BACKEND: 'local',
    LECTIO_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'false',
    APP_SECRET: appSecret,
    PLAYBACK_SIGNING_KEY: randomBytes(32).toString('hex'),
    JWT_SIGNING_KEYS: `bench:${randomBytes(32).toString('hex')}`,
    ...benchEnv,
    // e.g. BENCH_NODE_OPTIONS="--require ./profile-hook.cjs" to profile the server under load.
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    ...(opts.env ?? {}),
  };
  const spawnLogged = (args: string[], name: string) => {
    const fd = openSync(path.join(logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    return child;
  };
  const api = spawnLogged(['serve', '--api', ...(clusterFlag ? ['--processes', String(processes)] : [])], 'api');
  const children: ChildProcess[] = [api];
  const onExit = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', onExit);
  try {
    await waitReady(`http://127.0.0.1:${port}`, api, 'the API');
    if (opts.worker) {
      const worker = spawnLogged(['serve', '--worker'], 'worker');
      children.push(worker);
      // The worker has no HTTP listener: give it time to connect and register its queues.
      await new Promise((r) => setTimeout(r, 1500));
      if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}; see ${logDir}`);
    }
  } catch (error) {
    await Promise.all(children.map((c) => stopChild(c)));
    process.off('exit', onExit);
    throw error;
  }
  // With a cluster, the workers' pids appear after the primary forked them.
  if (processes > 1) {
    const deadline = Date.now() + 30_000;
    while (processTree(api.pid!).length < processes + 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    appSecret,
    processes,
    clusterFlag,
    apiPids: () => processTree(api.pid!),
    workerPids: () => (children[1] ? processTree(children[1].pid!) : []),
    benchEnv,
    logDir,
    async stop() {
      await Promise.all(children.map((c) => stopChild(c)));
      process.off('exit', onExit);
      rmSync(dataDir, { recursive: true, force: true });
      // A full run logs a line per request (hundreds of MB): not kept.
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/**
 * Lectio in the production configuration of the brief, for the delivery and large-upload benches:
 * a private PostgreSQL and Redis (never the machine's shared ones), `serve --api` (with
 * `--processes n` when the build has it) and optionally one `serve --worker`, both from the build
 * (server/dist), NODE_ENV=production, local storage in a temporary LECTIO_DATA_DIR.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTree } from '../lib/load.js';
import {
  freePort,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../../server/test/support/private-services.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The build under test; LECTIO_BENCH_CLI points at another one (a worktree of the commit before a
 * change, for an A/B run).
 */
export const BUILT_CLI = process.env.LECTIO_BENCH_CLI ?? path.join(REPO, 'server/dist/main/cli.js');

export interface LectioStackOptions {
  /** API processes (node:cluster workers); 1 runs today's single process. */
  processes?: number;
  worker?: boolean;
  /** Extra environment for every Lectio process (e.g. PLAYBACK_SIGNING_KEY). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface LectioStack {
  url: string;
  dataDir: string;
  env: Record<string, string>;
  /** API processes actually started (1 when the build has no --processes yet). */
  processes: number;
  apiPids(): number[];
  /** The worker process and its children (ffmpeg while it transcodes). */
  workerPids(): number[];
  workerPid: number | undefined;
  /** The last lines each Lectio process wrote (for a failure message). */
  output(): string;
  /** Runs `lectio <args>` once with the stack's environment (e.g. create-user). */
  cli(args: string[], extraEnv?: Record<string, string>): string;
  stop(): Promise<void>;
}

function supportsProcesses(): boolean {
  try {
    return execFileSync(process.execPath, [BUILT_CLI, 'serve', '--help'], { encoding: 'utf8' }).includes('--processes');
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startLectioStack(options: LectioStackOptions = {}): Promise<LectioStack> {
  if (!existsSync(BUILT_CLI)) throw new Error('The server is not built: run `npm run build -w server` first.');
  const log = options.log ?? (() => undefined);
  const children: ChildProcess[] = [];
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-data-'));
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await redis?.stop();
    await postgres?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_BACKEND: 'bullmq',
      STORAGE_BACKEND: 'local',
      LECTIO_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      SEED_DEMO_DATA: 'false',
      APP_SECRET: 'bench-app-secret-0123456789abcdefghijklmnop',
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'bench-playback-signing-key-0123456789abcdef',
      // Production refuses the built-in gateway unless asked; commerce plays no part here.
      PAYMENTS_BACKEND: 'none',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
      ...options.env,
    };
    const spawnLectio = (args: string[], name: string) => {
      let output = '';
      const child = spawn(process.execPath, [BUILT_CLI, ...args], {
        cwd: REPO,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Production logs are on (their cost is part of what is measured); keep only the tail.
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      process.once('exit', () => child.kill('SIGKILL'));
      children.push(child);
      return { child, name, output: () => output };
    };
    const wanted = options.processes ?? 1;
    const processes = wanted > 1 && supportsProcesses() ? wanted : 1;
    if (processes !== wanted) log(`this build has no \`serve --processes\`: running 1 API process, not ${wanted}`);
    const api = spawnLectio(['serve', '--api', ...(processes > 1 ? ['--processes', String(processes)] : [])], 'api');
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (api.child.exitCode !== null) throw new Error(`the API exited:\n${api.output()}`);
      const ready = await fetch(`${url}/health/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the API was not ready within 90 s:\n${api.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Started after the API has migrated the database, so the two never race for it.
    const worker = options.worker ? spawnLectio(['serve', '--worker'], 'worker') : undefined;
    const apiPid = api.child.pid!;
    return {
      url,
      dataDir,
      env,
      processes,
      apiPids: () => processTree(apiPid),
      workerPids: () => (worker?.child.pid ? processTree(worker.child.pid) : []),
      workerPid: worker?.child.pid,
      output: () =>
        [api, worker]
          .filter((p) => p !== undefined)
          .map((p) => `--- ${p.name}\n${p.output()}`)
          .join('\n'),
      cli: (args, extraEnv = {}) =>
        execFileSync(process.execPath, [BUILT_CLI, ...args], {
          cwd: REPO,
          env: { ...env, ...extraEnv },
          encoding: 'utf8',
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

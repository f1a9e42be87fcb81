import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase } from '../../../test/support/databases.js';
import { deleteRedisPrefix, uniqueQueuePrefix } from '../../../test/support/queue-backends.js';
import { migrate } from '../db/migrate.js';
import { openPglite } from '../db/pglite.js';
import { BullmqQueue } from './bullmq.js';
import { EmbeddedQueue } from './embedded.js';
import type { QueuePort } from './port.js';
import { crashTestJob, type CrashWorkerConfig } from './testing/crash-job.js';
import { sleep, waitFor } from './testing/contract-checks.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKER_SCRIPT = fileURLToPath(new URL('./testing/crash-worker.ts', import.meta.url));
/** Short, so the killed worker's job is recovered within a few seconds. */
const LEASE_MS = 1_500;

type StoreConfig = DistributiveOmit<CrashWorkerConfig, 'logFile' | 'releaseFile' | 'leaseMs'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Where the jobs live, as both the test and the worker processes reach it. */
interface CrashStore {
  worker: StoreConfig;
  /** A queue over the store for the test itself. PGlite's directory is opened only for `use`: the workers need it. */
  withQueue<T>(use: (queue: QueuePort) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

async function pgliteStore(dir: string): Promise<CrashStore> {
  const setup = await openPglite(dir, { lockPurpose: 'queue crash test' });
  try {
    await migrate(setup.primary);
  } finally {
    await setup.close();
  }
  return {
    worker: { backend: 'embedded', pgliteDir: dir },
    async withQueue(use) {
      const database = await openPglite(dir, { lockPurpose: 'queue crash test' });
      const queue = new EmbeddedQueue({ database, leaseMs: LEASE_MS, shutdownTimeoutMs: 1_000 });
      try {
        return await use(queue);
      } finally {
        await queue.close();
        await database.close();
      }
    },
    async dispose() {},
  };
}

async function postgresStore(): Promise<CrashStore> {
  const database = await createPostgresDatabase();
  return {
    worker: { backend: 'embedded', databaseUrl: database.url! },
    async withQueue(use) {
      const queue = new EmbeddedQueue({ database: database.port, leaseMs: LEASE_MS, shutdownTimeoutMs: 1_000 });
      try {
        return await use(queue);
      } finally {
        await queue.close();
      }
    },
    dispose: () => database.dispose(),
  };
}

function bullmqStore(): CrashStore {
  const redisUrl = inject('redisUrl');
  const prefix = uniqueQueuePrefix();
  return {
    worker: { backend: 'bullmq', redisUrl, prefix },
    async withQueue(use) {
      const queue = new BullmqQueue({ redisUrl, prefix, leaseMs: LEASE_MS, shutdownTimeoutMs: 1_000 });
      try {
        return await use(queue);
      } finally {
        await queue.close();
      }
    },
    dispose: () => deleteRedisPrefix(redisUrl, prefix),
  };
}

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function startWorker(config: CrashWorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => output };
}

async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill(signal);
  await worker.exited;
}

const BACKENDS: [string, (dir: string) => Promise<CrashStore>][] = [
  ['embedded on pglite', (dir) => pgliteStore(path.join(dir, 'pglite'))],
  ['embedded on postgres', () => postgresStore()],
  ['bullmq', async () => bullmqStore()],
];

// Concurrent: each backend's test mostly waits (for child processes, for leases to run out), and
// each has its own store, so running them side by side keeps the suite short.
describe.concurrent('queue crash recovery', () => {
  it.each(BACKENDS)(
    '[%s] finishes a job once on another worker after its worker is SIGKILLed mid-run',
    // Generous: each worker is a fresh Node process that compiles TypeScript and boots PGlite, which
    // takes many seconds on a loaded 2-core machine.
    { timeout: 180_000 },
    async (_name, openStore) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-queue-crash-'));
      const logFile = path.join(dir, 'events.log');
      const releaseFile = path.join(dir, 'release');
      writeFileSync(logFile, '');
      const lines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      const store = await openStore(dir);
      const workers: WorkerProcess[] = [];
      const config = { ...store.worker, logFile, releaseFile, leaseMs: LEASE_MS } as CrashWorkerConfig;
      const describeState = () =>
        `events:\n${lines().join('\n')}\nworker output:\n${workers.map((w) => w.output()).join('\n---\n')}`;
      try {
        const jobId = await store.withQueue((queue) => queue.enqueue(crashTestJob, { label: 'transcode lesson 7' }));

        const first = startWorker(config);
        workers.push(first);
        await waitFor(
          () => lines().some((l) => l.startsWith(`start ${jobId} `)),
          `the first worker to start the job\n${describeState()}`,
          60_000,
        );
        await stopWorker(first, 'SIGKILL');
        expect(lines().some((l) => l.startsWith('done'))).toBe(false);

        writeFileSync(releaseFile, '');
        expect(existsSync(releaseFile)).toBe(true);
        const second = startWorker(config);
        workers.push(second);
        await waitFor(
          () => lines().includes(`done ${jobId}`),
          `the second worker to finish the job\n${describeState()}`,
          60_000,
        );

        // Long enough for another lease to run out: the finished job must not come back.
        await sleep(2 * LEASE_MS);
        expect(
          lines().filter((l) => l.startsWith('done ')),
          describeState(),
        ).toEqual([`done ${jobId}`]);
        expect(
          lines().filter((l) => l.startsWith('start ')),
          describeState(),
        ).toHaveLength(2);

        await stopWorker(second, 'SIGTERM');
        expect(
          lines().some((l) => l.startsWith('stopped ')),
          describeState(),
        ).toBe(true);
        const stats = await store.withQueue((queue) => queue.stats('default'));
        expect(stats).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: 1, oldestWaitingMs: 0 });
      } finally {
        await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
        await store.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

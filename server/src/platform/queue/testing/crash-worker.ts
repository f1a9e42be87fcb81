/**
 * A worker process for the crash test: `node --import tsx crash-worker.ts '<CrashWorkerConfig JSON>'`.
 * It runs crashTestJob, whose handler logs its start, waits for the release file, then logs done.
 * The test SIGKILLs it mid-job and starts another; SIGTERM stops it gracefully.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { openPglite } from '../../db/pglite.js';
import type { DatabasePort } from '../../db/port.js';
import { openPostgres } from '../../db/postgres.js';
import { BullmqQueue } from '../bullmq.js';
import { EmbeddedQueue } from '../embedded.js';
import { registerJob, type QueuePort } from '../port.js';
import { crashTestJob, type CrashWorkerConfig } from './crash-job.js';

const config = JSON.parse(process.argv[2] ?? '{}') as CrashWorkerConfig;
const log = (line: string) => appendFileSync(config.logFile, `${line}\n`);

let database: DatabasePort | undefined;
let queue: QueuePort;
if (config.backend === 'bullmq') {
  queue = new BullmqQueue({
    redisUrl: config.redisUrl,
    prefix: config.prefix,
    leaseMs: config.leaseMs,
    shutdownTimeoutMs: 1_000,
  });
} else {
  database =
    'pgliteDir' in config
      ? await openPglite(config.pgliteDir, { lockPurpose: 'queue crash-test worker' })
      : openPostgres({ url: config.databaseUrl, replicaUrls: [], poolMax: 4 });
  queue = new EmbeddedQueue({ database, leaseMs: config.leaseMs, shutdownTimeoutMs: 1_000, pollIntervalMs: 100 });
}

await queue.startWorkers(
  [
    registerJob(crashTestJob, async (_payload, context) => {
      log(`start ${context.jobId} ${context.attempt}`);
      while (!existsSync(config.releaseFile)) await new Promise((r) => setTimeout(r, 50));
      log(`done ${context.jobId}`);
    }),
  ],
  { queues: ['default'], concurrency: { default: 1, video: 0 } },
);
log(`ready ${process.pid}`);

process.once('SIGTERM', () => {
  void (async () => {
    await queue.close();
    await database?.close();
    log(`stopped ${process.pid}`);
    process.exit(0);
  })();
});

import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { buildBackupService, buildServices, closePlatform, openPlatform } from '../container.js';
import {
  BACKUP_KINDS,
  BackupRefusedError,
  EMBEDDED_BACKUP_MESSAGE,
  type BackupKind,
} from '../modules/backups/service.js';
import { SearchDocumentIndexer } from '../modules/search/document.js';
import { seedDemoVideos } from '../modules/videos/demo-video.js';
import { queueTranscodeScheduler } from '../modules/videos/jobs.js';
import { DemoDataRefusedError, seedDemoData } from '../modules/system/seed.js';
import { USER_ROLES, UserInputError, type UserRole } from '../modules/users/service.js';
import { DataDirBusyError } from '../platform/db/data-dir-lock.js';
import { migrate } from '../platform/db/migrate.js';
import { PgToolError } from '../platform/db/pg-dump.js';
import { transcodeToHls } from '../platform/media/video/transcode.js';
import { MediaRejectedError } from '../platform/media/video/types.js';
import { QUEUE_NAMES, type QueueName } from '../platform/queue/port.js';
import { startTracing } from '../platform/telemetry/tracing.js';
import { createLogger } from '../platform/telemetry/logger.js';
import {
  assertProcessesAllowed,
  isShutdownMessage,
  parseProcesses,
  ProcessesRefusedError,
  runPrimary,
} from './cluster.js';
import { serve } from './serve.js';

/** The one place that reads the process environment. */
function config(): Config {
  return loadConfig(process.env);
}

async function withPlatform<T>(purpose: string, run: (p: Awaited<ReturnType<typeof openPlatform>>) => Promise<T>) {
  const platform = await openPlatform(config(), purpose);
  try {
    return await run(platform);
  } finally {
    await closePlatform(platform);
  }
}

function readPassword(): string {
  const fromEnv = process.env.LECTIO_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) {
    throw new UserInputError(
      'invalid_password',
      'Give the password on standard input (echo ... | lectio create-user ...) or in LECTIO_PASSWORD; never on the command line.',
    );
  }
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}

const program = new Command('lectio').description('Lectio: run and manage the platform').showHelpAfterError();

program
  .command('serve')
  .description('run the platform: API + worker + web in one process by default')
  .option('--api', 'run the HTTP API (and web app) only')
  .option('--worker', 'run background workers only')
  .addOption(
    new Option('--queues <names>', 'worker queues, comma separated').argParser((value): QueueName[] => {
      const names = value.split(',').map((s) => s.trim());
      const bad = names.filter((n) => !(QUEUE_NAMES as readonly string[]).includes(n));
      if (bad.length)
        throw new InvalidArgumentError(`unknown queue(s) ${bad.join(', ')}; known: ${QUEUE_NAMES.join(', ')}`);
      return names as QueueName[];
    }),
  )
  .addOption(
    new Option(
      '--processes <n|auto>',
      'API processes sharing the port (node:cluster; auto = one per core); with --api and PostgreSQL only',
    ).argParser(parseProcesses),
  )
  .action(async (opts: { api?: boolean; worker?: boolean; queues?: QueueName[]; processes?: number }) => {
    const both = !opts.api && !opts.worker;
    const cfg = config();
    if (opts.processes !== undefined) {
      assertProcessesAllowed({ api: Boolean(opts.api), worker: Boolean(opts.worker), embedded: cfg.embedded });
    }
    if (opts.processes !== undefined && opts.processes > 1 && cluster.isPrimary) {
      // The primary only forks and watches; each worker runs this same command and takes the branch below.
      const log = createLogger({ level: cfg.logLevel, name: 'lectio-cluster' });
      const status = await runPrimary({
        processes: opts.processes,
        shutdownTimeoutMs: cfg.queue.shutdownTimeoutMs,
        heapLimitMb: cfg.apiProcesses.heapLimitMb,
        nodeOptions: cfg.apiProcesses.nodeOptions,
        log,
      });
      process.exit(status);
    }
    // A cluster worker told to stop while it is still starting stops as soon as it has started.
    let stopRequested = false;
    let requestStop = () => {
      stopRequested = true;
    };
    if (cluster.isWorker) {
      process.on('message', (message: unknown) => {
        if (isShutdownMessage(message)) requestStop();
      });
    }
    // Before anything runs, so the first request and the first job already carry a trace id.
    const tracing = startTracing({
      serviceName: cfg.tracing.serviceName,
      otlpEndpoint: cfg.tracing.otlpEndpoint,
    });
    const server = await serve(cfg, {
      api: both || Boolean(opts.api),
      worker: both || Boolean(opts.worker),
      queues: opts.queues,
    });
    if (server.url) {
      process.stdout.write(`\nLectio is running at ${server.url}\n`);
      if (cfg.embedded) process.stdout.write(`Embedded mode: data in ${cfg.dataDir}\n`);
    }
    let signals = 0;
    let draining = false;
    const onSignal = (signal: NodeJS.Signals | 'cluster') => {
      // The cluster primary's request to drain counts once, however it meets a signal.
      if (signal === 'cluster' && draining) return;
      if (signal !== 'cluster') signals++;
      if (signals > 1) process.exit(130);
      if (draining) return;
      draining = true;
      const timer = setTimeout(() => process.exit(1), cfg.queue.shutdownTimeoutMs + 5_000);
      timer.unref();
      server.stop().then(
        // The last spans (the shutdown's own jobs) go out before the process ends.
        () => tracing.shutdown().finally(() => process.exit(0)),
        (error: unknown) => {
          console.error(`error while stopping after ${signal}:`, error);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    requestStop = () => onSignal('cluster');
    if (stopRequested) requestStop();
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    await withPlatform('lectio migrate', async (platform) => {
      const { applied } = await migrate(platform.database.primary);
      console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'The database is up to date.');
    });
  });

program
  .command('seed')
  .description('create the demo users and, on an empty catalog, the demo courses (embedded/development only)')
  .action(async () => {
    await withPlatform('lectio seed', async (platform) => {
      await migrate(platform.database.primary);
      const services = buildServices(platform);
      const created = await seedDemoData({
        users: services.users,
        notifications: services.notifications,
        isProduction: platform.config.isProduction,
        publicUrl: platform.config.http.publicUrl,
        db: platform.database.primary,
        searchIndexer: new SearchDocumentIndexer(),
        uploadCover: async (instructorId, courseId, image) => {
          await platform.storage.ensureBuckets();
          return services.studio.uploadCover({ userId: instructorId, role: 'instructor' }, courseId, image);
        },
        // Queued here; the next `lectio serve` (or a running worker) transcodes it.
        seedVideos: (instructorId) =>
          seedDemoVideos(instructorId, {
            db: platform.database.primary,
            storage: platform.storage,
            ffmpegPath: platform.config.video.ffmpegPath,
            scheduler: queueTranscodeScheduler(platform.queue),
          }),
        log: platform.log,
      });
      console.log(created.length ? `Created ${created.join(', ')}.` : 'Demo users already exist.');
    });
  });

program
  .command('reindex')
  .description('rebuild the search document of every course (published ones indexed, others removed)')
  .option('--batch <size>', 'courses per transaction', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
    return n;
  })
  .action(async (opts: { batch?: number }) => {
    await withPlatform('lectio reindex', async (platform) => {
      await migrate(platform.database.primary);
      const started = Date.now();
      const result = await buildServices(platform).search.reindex((p) => {
        console.log(`reindex: ${p.done}/${p.total} courses, ${p.indexed} published indexed`);
      }, opts.batch);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`Reindexed ${result.done} course(s), ${result.indexed} published, in ${seconds} s.`);
    });
  });

program
  .command('create-user')
  .description('create a user; the password comes from standard input or LECTIO_PASSWORD')
  .requiredOption('--email <email>', 'email address')
  .addOption(new Option('--role <role>', 'role').choices(USER_ROLES).default('student'))
  .option('--name <displayName>', 'display name (defaults to the part of the email before @)')
  .addOption(new Option('--locale <locale>', 'preferred language').choices(['ko', 'en']).default('ko'))
  .action(async (opts: { email: string; role: UserRole; name?: string; locale: 'ko' | 'en' }) => {
    const password = readPassword();
    await withPlatform('lectio create-user', async (platform) => {
      await migrate(platform.database.primary);
      const user = await buildServices(platform).users.createUser({
        email: opts.email,
        password,
        displayName: opts.name ?? opts.email.split('@')[0] ?? opts.email,
        role: opts.role,
        locale: opts.locale,
      });
      console.log(`Created ${user.role} ${user.email} (${user.id}).`);
    });
  });

program
  .command('transcode')
  .description('run the video pipeline on a local file: HLS ladder, poster and storyboard; prints a JSON summary')
  .argument('<input>', 'video file')
  .requiredOption('--out <dir>', 'output directory (created; should be empty)')
  .action(async (input: string, opts: { out: string }) => {
    const video = config().video;
    // Ctrl-C stops ffmpeg and removes the partial output and the scratch directory.
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let lastShown = -1;
    try {
      const result = await transcodeToHls(path.resolve(input), path.resolve(opts.out), {
        tools: { ffmpegPath: video.ffmpegPath, ffprobePath: video.ffprobePath },
        limits: { maxDurationSeconds: video.maxDurationSeconds, maxLongSide: video.maxLongSide },
        timeoutMs: video.transcodeTimeoutMs,
        preset: video.preset,
        signal: controller.signal,
        onProgress: (percent) => {
          if (!process.stderr.isTTY || Math.floor(percent) === lastShown) return;
          lastShown = Math.floor(percent);
          process.stderr.write(`\rtranscoding: ${lastShown}%`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const round = (n: number) => Math.round(n * 100) / 100;
      const summary = {
        renditions: result.renditions.map((r) => ({
          name: r.name,
          width: r.width,
          height: r.height,
          bandwidth: r.bandwidth,
          averageBandwidth: r.averageBandwidth,
          bytes: r.bytes,
        })),
        durationSeconds: round(result.durationSeconds),
        wallSeconds: round(result.wallSeconds),
        realtimeFactor: round(result.realtimeFactor),
        master: path.join(path.resolve(opts.out), result.masterPlaylist),
      };
      console.log(JSON.stringify(summary, null, 2));
    } catch (error) {
      if (!(error instanceof MediaRejectedError)) throw error;
      console.error(`lectio: ${error.message} (${error.code})`);
      process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** Refused before the embedded database is even opened (which takes seconds and locks its directory). */
function refuseEmbeddedBackup(): void {
  if (config().embedded) throw new BackupRefusedError('embedded_database', EMBEDDED_BACKUP_MESSAGE);
}

program
  .command('backup')
  .description('dump the PostgreSQL database into the backups bucket and prune backups past BACKUP_RETENTION_DAYS')
  .addOption(
    new Option('--kind <kind>', 'daily or weekly (default: weekly on Sunday UTC, else daily)').choices(BACKUP_KINDS),
  )
  .action(async (opts: { kind?: BackupKind }) => {
    refuseEmbeddedBackup();
    await withPlatform('lectio backup', async (platform) => {
      const backups = buildBackupService(platform);
      await platform.storage.ensureBuckets();
      const result = await backups.backup({ kind: opts.kind });
      console.log(
        `Stored ${result.key} (${result.size} bytes, ${result.entries} entries) in ${seconds(result.durationMs)} s.` +
          (result.pruned.length ? ` Pruned ${result.pruned.length} backup(s) past retention.` : ''),
      );
    });
  });

program
  .command('backups')
  .description('list the database backups in the backups bucket, oldest first')
  .action(async () => {
    await withPlatform('lectio backups', async (platform) => {
      const list = await buildBackupService(platform).list();
      for (const b of list) console.log(`${b.key}\t${b.kind}\t${b.size}\t${b.takenAt.toISOString()}`);
      if (!list.length) console.log('No backups.');
    });
  });

program
  .command('restore')
  .description('load a backup into the database (DATABASE_URL); "latest" picks the newest backup')
  .argument('<backup>', 'a key from `lectio backups`, or latest')
  .option('--clean', 'drop the backed-up objects first, replacing what the database holds now')
  .action(async (backup: string, opts: { clean?: boolean }) => {
    refuseEmbeddedBackup();
    await withPlatform('lectio restore', async (platform) => {
      const backups = buildBackupService(platform);
      const key = backup === 'latest' ? (await backups.list()).at(-1)?.key : backup;
      if (!key) throw new BackupRefusedError('unknown_backup', 'There are no backups to restore.');
      const result = await backups.restore(key, { clean: Boolean(opts.clean) });
      console.log(`Restored ${key} (${result.entries} entries) in ${seconds(result.durationMs)} s.`);
    });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof DataDirBusyError ||
    error instanceof UserInputError ||
    error instanceof DemoDataRefusedError ||
    error instanceof BackupRefusedError ||
    error instanceof PgToolError ||
    error instanceof ProcessesRefusedError
  ) {
    console.error(`lectio: ${error.message}`);
    process.exit(
      error instanceof UserInputError || error instanceof BackupRefusedError || error instanceof PgToolError ? 1 : 78,
    );
  }
  console.error(error);
  process.exit(1);
}

import { access, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Lectio's Prometheus instruments, one registry per process (not prom-client's global one, so two
 * servers in one test process keep apart). Parts of the platform get this object, or one of the
 * narrow interfaces below, through their constructors; nothing imports a global.
 *
 * Two kinds of numbers live here. Events (requests, jobs, cache errors, transcodes) are recorded
 * as they happen. States (queue depth, pool use, viewers, backups, disk) are read from their
 * source at scrape time, so every process that can see a queue reports it, including an API
 * instance with no worker running: a growing queue shows even when nothing is consuming it.
 */

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** What the HTTP layer records per finished request. */
export interface HttpMetrics {
  /** `route` is the route pattern (`/api/v1/courses/:slug`), never the raw URL. */
  observeHttpRequest(request: { method: string; route: string; statusCode: number; seconds: number }): void;
}

export interface CacheMetrics {
  cacheError(operation: string): void;
}

export type JobOutcome = 'completed' | 'failed';

export interface JobMetrics {
  observeJob(job: string, outcome: JobOutcome, seconds: number): void;
}

export interface TranscodeMetrics {
  /** One finished encode: the media's length and the wall time the encode took. */
  observeTranscode(mediaSeconds: number, wallSeconds: number): void;
}

/** The database adapter's pools at this moment (PostgreSQL: pg.Pool counters). */
export interface DbPoolSnapshot {
  pool: 'primary' | 'replica';
  inUse: number;
  idle: number;
  waiting: number;
}

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface QueueSnapshot {
  queue: string;
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  oldestWaitingSeconds: number;
}

export type BackupKind = 'daily' | 'weekly';

/** When each kind of backup last succeeded; a kind never backed up is left out. */
export type BackupSnapshot = { kind: BackupKind; at: Date }[];

/** Readers of state that the scrape asks for; each is optional (a worker-less test has no backups). */
export interface MetricsSources {
  queues?: () => Promise<QueueSnapshot[]>;
  dbPools?: () => DbPoolSnapshot[];
  /**
   * Open playback sessions at `now`. A session lasts until its grant expires (the player renews it
   * while it plays), so a closed tab still counts until then: an upper bound, never an undercount.
   */
  activeViewers?: (now: Date) => Promise<number>;
  backups?: () => Promise<BackupSnapshot>;
  /** Filesystems whose free share is reported, by label (`data`, `tmp`). */
  diskPaths?: Partial<Record<'data' | 'tmp', string>>;
}

/** A source slower than this is skipped for the scrape rather than stalling it (Prometheus times out at 10 s). */
const SOURCE_TIMEOUT_MS = 3_000;
/**
 * Backup listings hit object storage; every instance is scraped every 15 s, and the answer
 * changes once a day, so one listing a minute is plenty.
 */
const BACKUP_CACHE_MS = 60_000;

/** Request latency buckets: the alert line (1 s) falls on a bucket edge, so p95 > 1 s is exact. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Jobs run from milliseconds (a mail) to hours (a long transcode). */
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 10800];
/** Media seconds per wall second: below 1 a worker falls behind real time. */
const REALTIME_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 16, 32];

export interface MetricsOptions {
  /** prom-client's process metrics (CPU, memory, event loop); on unless a test wants a small registry. */
  processMetrics?: boolean;
  /** Added to every series, e.g. `{ role: 'worker' }`. */
  defaultLabels?: Record<string, string>;
  now?: () => number;
}

export class Metrics implements HttpMetrics, CacheMetrics, JobMetrics, TranscodeMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources = {};
  private readonly now: () => number;
  private backupCache: { at: number; value: BackupSnapshot } | undefined;
  private queueRead: Promise<QueueSnapshot[] | undefined> | undefined;

  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  private readonly cacheErrors: Counter<'operation'>;
  private readonly jobDuration: Histogram<'job' | 'outcome'>;
  private readonly jobFailures: Counter<'job'>;
  private readonly transcodeFactor: Histogram;
  private readonly sourceErrors: Counter<'source'>;

  constructor(options: MetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.httpDuration = new Histogram({
      name: 'lectio_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern, method and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.httpRequests = new Counter({
      name: 'lectio_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.cacheErrors = new Counter({
      name: 'lectio_cache_errors_total',
      help: 'Cache operations that failed (the platform then serves from the database).',
      labelNames: ['operation'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'lectio_job_duration_seconds',
      help: 'Job run time by job name and outcome; a retried job counts each attempt.',
      labelNames: ['job', 'outcome'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.jobFailures = new Counter({
      name: 'lectio_job_failures_total',
      help: 'Job attempts that threw, by job name.',
      labelNames: ['job'],
      registers,
    });
    this.transcodeFactor = new Histogram({
      name: 'lectio_transcode_realtime_factor',
      help: 'Media seconds encoded per wall-clock second, per finished transcode.',
      buckets: REALTIME_BUCKETS,
      registers,
    });
    this.sourceErrors = new Counter({
      name: 'lectio_metrics_source_errors_total',
      help: 'Scrapes in which a state source (queue, viewers, backups, disk) failed or timed out; shown from the next scrape.',
      labelNames: ['source'],
      registers,
    });

    // Each gauge reads its source when scraped; a failing source leaves its gauge empty, never the scrape.
    this.stateGauge(
      {
        name: 'lectio_db_pool_connections',
        help: 'Database pool connections by pool and state (in_use, idle, waiting clients).',
        labelNames: ['pool', 'state'],
      },
      (gauge) => {
        for (const p of this.sources.dbPools?.() ?? []) {
          gauge.set({ pool: p.pool, state: 'in_use' }, p.inUse);
          gauge.set({ pool: p.pool, state: 'idle' }, p.idle);
          gauge.set({ pool: p.pool, state: 'waiting' }, p.waiting);
        }
      },
    );
    // Both queue gauges come from the one read render() starts for the scrape.
    this.stateGauge(
      { name: 'lectio_queue_jobs', help: 'Jobs per queue and state.', labelNames: ['queue', 'state'] },
      async (gauge) => {
        for (const s of (await this.readQueues()) ?? []) {
          for (const state of QUEUE_STATES) gauge.set({ queue: s.queue, state }, s.counts[state]);
        }
      },
    );
    this.stateGauge(
      {
        name: 'lectio_queue_oldest_waiting_seconds',
        help: 'Age of the oldest job ready to run but not yet taken, per queue (0 when none).',
        labelNames: ['queue'],
      },
      async (gauge) => {
        for (const s of (await this.readQueues()) ?? []) gauge.set({ queue: s.queue }, s.oldestWaitingSeconds);
      },
    );
    this.stateGauge(
      {
        name: 'lectio_active_viewers',
        help: 'Open playback sessions: granted, not ended (another player, a revoked course) and not expired.',
      },
      async (gauge) => {
        const source = this.sources.activeViewers;
        const now = new Date(this.now());
        const count = await this.read('active_viewers', source && (() => source(now)));
        if (count !== undefined) gauge.set(count);
      },
    );
    this.stateGauge(
      {
        name: 'lectio_backup_last_success_timestamp_seconds',
        help: 'Unix time of the last successful database backup, by kind; 0 when there has been none.',
        labelNames: ['kind'],
      },
      async (gauge) => {
        const backups = await this.readBackups();
        if (!backups) return;
        // 0 for a kind never backed up, so "no backup ever" trips the age alert instead of hiding.
        for (const kind of ['daily', 'weekly'] as const) {
          const at = backups.find((b) => b.kind === kind)?.at;
          gauge.set({ kind }, at ? at.getTime() / 1000 : 0);
        }
      },
    );
    this.stateGauge(
      {
        name: 'lectio_disk_free_ratio',
        help: 'Free share of the filesystem holding the data directory and the temp directory (0..1).',
        labelNames: ['path'],
      },
      async (gauge) => {
        for (const [label, dir] of Object.entries(this.sources.diskPaths ?? {})) {
          const ratio = await this.read(`disk_${label}`, () => freeRatio(dir));
          if (ratio !== undefined) gauge.set({ path: label }, ratio);
        }
      },
    );
  }

  /**
   * A gauge filled from its source at each scrape. The values are gathered first and swapped in
   * after, so a series that disappeared (a pool closed) does not linger from an earlier scrape.
   */
  private stateGauge<L extends string>(
    config: { name: string; help: string; labelNames?: L[] },
    fill: (gauge: Pick<Gauge<L>, 'set'>) => void | Promise<void>,
  ): void {
    const gauge: Gauge<L> = new Gauge<L>({
      ...config,
      registers: [this.registry],
      collect: async () => {
        const values: [Partial<Record<L, string>>, number][] = [];
        await fill({
          set: ((labels: Partial<Record<L, string>> | number, value?: number) => {
            if (typeof labels === 'number') values.push([{}, labels]);
            else values.push([labels, value ?? 0]);
          }) as Gauge<L>['set'],
        });
        gauge.reset();
        for (const [labels, value] of values) gauge.set(labels, value);
      },
    });
  }

  /** Connects the state sources; later calls add to or replace earlier ones. */
  watch(sources: MetricsSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /**
   * Starts labelled series at zero, so `rate()` and `increase()` see the first event (a counter that
   * appears at 1 has no earlier sample to subtract from) and dashboards show every job before it runs.
   */
  declareJobs(jobNames: readonly string[]): void {
    for (const job of jobNames) {
      this.jobFailures.inc({ job }, 0);
      for (const outcome of ['completed', 'failed'] as const) this.jobDuration.zero({ job, outcome });
    }
  }

  declareCacheOperations(operations: readonly string[]): void {
    for (const operation of operations) this.cacheErrors.inc({ operation }, 0);
  }

  observeHttpRequest(r: { method: string; route: string; statusCode: number; seconds: number }): void {
    const labels = { method: r.method, route: r.route, status_code: String(r.statusCode) };
    this.httpDuration.observe(labels, r.seconds);
    this.httpRequests.inc(labels);
  }

  cacheError(operation: string): void {
    this.cacheErrors.inc({ operation });
  }

  observeJob(job: string, outcome: JobOutcome, seconds: number): void {
    this.jobDuration.observe({ job, outcome }, seconds);
    if (outcome === 'failed') this.jobFailures.inc({ job });
  }

  observeTranscode(mediaSeconds: number, wallSeconds: number): void {
    if (!(mediaSeconds > 0) || !(wallSeconds > 0)) return;
    this.transcodeFactor.observe(mediaSeconds / wallSeconds);
  }

  /** The text exposition Prometheus scrapes. */
  async render(): Promise<string> {
    // Both queue gauges come from this one read; prom-client collects the gauges concurrently.
    const read = this.read('queue', this.sources.queues);
    this.queueRead = read;
    try {
      return await this.registry.metrics();
    } finally {
      if (this.queueRead === read) this.queueRead = undefined;
    }
  }

  private readQueues(): Promise<QueueSnapshot[] | undefined> {
    return this.queueRead ?? this.read('queue', this.sources.queues);
  }

  private async readBackups(): Promise<BackupSnapshot | undefined> {
    const cached = this.backupCache;
    if (cached && this.now() - cached.at < BACKUP_CACHE_MS) return cached.value;
    const value = await this.read('backups', this.sources.backups);
    if (value) this.backupCache = { at: this.now(), value };
    return value;
  }

  private async read<T>(source: string, reader: (() => Promise<T>) | undefined): Promise<T | undefined> {
    if (!reader) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        reader(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${source} did not answer in time`)), SOURCE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      this.sourceErrors.inc({ source });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function freeRatio(dir: string): Promise<number> {
  const s = await statfs(await existingAncestor(dir));
  // bavail, not bfree: the blocks reserved for root are not free to this process.
  return s.blocks > 0 ? s.bavail / s.blocks : 0;
}

/** A data directory not made yet (PostgreSQL + S3 installs need none) lives on its parent's filesystem. */
async function existingAncestor(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await access(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** The directories whose filesystems the disk alert watches. */
export function defaultDiskPaths(dataDir: string): Record<'data' | 'tmp', string> {
  return { data: dataDir, tmp: os.tmpdir() };
}

import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';

/**
 * `lectio serve --api --processes <n|auto>`: n API processes sharing one port through node:cluster.
 * The primary serves nothing itself: it forks the workers (each one a complete `serve --api`, with
 * its own database pool and cache connections: all state lives in PostgreSQL and Redis), forks a
 * replacement when one dies, and on SIGTERM or SIGINT passes the signal on and waits while every
 * worker drains its requests.
 */

/** Refusals a person gets before anything starts (exit status 78, like a configuration error). */
export class ProcessesRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessesRefusedError';
  }
}

/** `auto` is one process per core the machine gives this program. */
export function parseProcesses(value: string): number {
  if (value === 'auto') return os.availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new ProcessesRefusedError(
      `--processes takes a whole number from 1 to 256 or "auto", not "${value}". ` +
        `(--processes 값은 1에서 256 사이의 정수 또는 "auto"여야 합니다.)`,
    );
  }
  return n;
}

/** Several processes make sense for the API alone, on a database that other processes can reach. */
export function assertProcessesAllowed(options: { api: boolean; worker: boolean; embedded: boolean }): void {
  if (!options.api || options.worker) {
    throw new ProcessesRefusedError(
      '--processes runs several API processes; use it with --api alone, and scale background work by ' +
        'starting more `lectio serve --worker` processes instead. ' +
        '(--processes는 --api와 함께만 쓸 수 있습니다. 백그라운드 작업은 `lectio serve --worker` 프로세스를 ' +
        '더 띄워 늘리세요.)',
    );
  }
  if (options.embedded) {
    throw new ProcessesRefusedError(
      '--processes needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL): the embedded database (PGlite) ' +
        'lives inside one process and cannot be shared. ' +
        '(--processes에는 PostgreSQL과 Redis가 필요합니다. 내장 데이터베이스(PGlite)는 한 프로세스 안에서만 ' +
        '동작해 여러 프로세스가 함께 쓸 수 없습니다.)',
    );
  }
}

export interface ClusterLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface PrimaryOptions {
  processes: number;
  /**
   * V8's old-space limit for each worker, unless the operator set one (NODE_OPTIONS or node's own
   * flags). Without a limit V8 sizes the heap from the machine's memory and, with plenty of it,
   * lets garbage pile up: an API process whose live heap is 60 MB grew past 400 MB RSS under load
   * on a 24 GiB machine, while with a limit it stays under 200 MB at the same throughput
   * (docs/benchmarks.md, "API process memory").
   */
  heapLimitMb?: number;
  /** NODE_OPTIONS as the primary was started with (a heap limit there wins). */
  nodeOptions?: string;
  /** How long a drain may take before the workers still running are killed. */
  shutdownTimeoutMs: number;
  log: ClusterLog;
  /** Restart backoff: first delay, doubled per quick crash, up to the maximum. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** What the primary sends a worker to make it drain and exit. */
export const SHUTDOWN_MESSAGE = { lectio: 'shutdown' } as const;

export function isShutdownMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { lectio?: unknown }).lectio === 'shutdown';
}

/** A worker that lived this long before it died is not crash-looping: its replacement starts at once. */
const HEALTHY_UPTIME_MS = 30_000;

/**
 * Runs the primary until it is told to stop; resolves with the exit status. A worker that exits
 * while the primary is not stopping is replaced: at once if it had been up for a while, else after
 * a delay that doubles with each quick death (a worker that cannot start, say the database is
 * down, must not be forked in a tight loop).
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { log } = options;
  const firstDelay = options.restartDelayMs ?? 500;
  const maxDelay = options.maxRestartDelayMs ?? 30_000;
  const startedAt = new Map<number, number>();
  const listening = new Set<number>();
  let quickDeaths = 0;
  let stopping = false;
  const pendingRestarts = new Set<NodeJS.Timeout>();

  const execArgv = withHeapLimit(process.execArgv, options.nodeOptions, options.heapLimitMb);
  if (execArgv !== process.execArgv) cluster.setupPrimary({ execArgv });

  const fork = () => {
    // Each worker sizes its share of the database connections from the process count (config.ts).
    const worker = cluster.fork({ LECTIO_API_PROCESSES: String(options.processes) });
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  return new Promise<number>((resolve) => {
    cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
      const uptime = Date.now() - (startedAt.get(worker.id) ?? Date.now());
      startedAt.delete(worker.id);
      listening.delete(worker.id);
      if (stopping) {
        // Counted here rather than from cluster.workers, which may still list a worker whose exit
        // came before its channel's disconnect.
        if (startedAt.size === 0) finish(0);
        return;
      }
      quickDeaths = uptime >= HEALTHY_UPTIME_MS ? 0 : quickDeaths + 1;
      const delay = quickDeaths === 0 ? 0 : Math.min(maxDelay, firstDelay * 2 ** (quickDeaths - 1));
      log.error(
        { workerPid: worker.process.pid, code, signal, uptimeMs: uptime, restartInMs: delay },
        'API worker process exited; starting another',
      );
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        if (!stopping) fork();
      }, delay);
      pendingRestarts.add(timer);
    });

    let killTimer: NodeJS.Timeout | undefined;
    const finish = (status: number) => {
      if (killTimer) clearTimeout(killTimer);
      resolve(status);
    };
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: stop waiting for the drain.
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        finish(130);
        return;
      }
      stopping = true;
      for (const timer of pendingRestarts) clearTimeout(timer);
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      log.info({ signal, workers: workers.length }, 'stopping: each API process finishes its requests');
      if (workers.length === 0) return finish(0);
      // Each worker drains as a single `serve --api` does on SIGTERM. Told over the cluster channel,
      // not by a signal: after Ctrl-C in a terminal every worker has its own SIGINT already, and a
      // second signal would make it give up the drain.
      // One still starting may not listen for messages yet; it serves nothing, so a signal ends it.
      for (const worker of workers) {
        if (listening.has(worker.id)) worker.send(SHUTDOWN_MESSAGE);
        else worker.process.kill('SIGTERM');
      }
      killTimer = setTimeout(() => {
        const left = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
        log.error({ workers: left.length }, 'API processes did not stop in time; killing them');
        for (const worker of left) worker.process.kill('SIGKILL');
        finish(1);
      }, options.shutdownTimeoutMs + 5_000);
      killTimer.unref();
    };
    cluster.on('listening', (worker: Worker) => listening.add(worker.id));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);

    log.info({ processes: options.processes, pid: process.pid }, 'starting API processes');
    for (let i = 0; i < options.processes; i++) fork();
  });
}

/** `execArgv` with `--max-old-space-size`, unless no limit is wanted or one is already given. */
export function withHeapLimit(execArgv: string[], nodeOptions: string | undefined, heapLimitMb: number | undefined) {
  const given = (flags: string) => /--max[-_]old[-_]space[-_]size/.test(flags);
  if (heapLimitMb === undefined || given(execArgv.join(' ')) || given(nodeOptions ?? '')) return execArgv;
  return [...execArgv, `--max-old-space-size=${heapLimitMb}`];
}

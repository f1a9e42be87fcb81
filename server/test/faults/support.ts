import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Shared plumbing of the fault tests: a steady load from a second process (load-child.mjs) whose
 * every answer the test can inspect by time window.
 */

const LOAD_CHILD = fileURLToPath(new URL('./load-child.mjs', import.meta.url));

export interface LoadRequest {
  /** Label carried into the results (e.g. "catalog", "course"). */
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  name: string;
  /** When the request was sent (ms since the epoch). */
  at: number;
  ms: number;
  /** 0 when no answer came (socket error or the client's own timeout). */
  status: number;
  retryAfter?: string | null;
  error?: string;
}

export interface SteadyLoad {
  /** Ends the load and returns every answer. */
  stop(): Promise<Answer[]>;
}

export function startSteadyLoad(requests: LoadRequest[], opts: { concurrency?: number; timeoutMs?: number } = {}) {
  const child: ChildProcess = fork(LOAD_CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const results = new Promise<Answer[]>((resolve, reject) => {
    child.once('message', (message: { results: Answer[] }) => resolve(message.results));
    child.once('exit', (code) => reject(new Error(`load child exited ${code} without results`)));
  });
  results.catch(() => undefined); // reported by stop(), not as an unhandled rejection meanwhile
  child.send({ requests, concurrency: opts.concurrency ?? 4, timeoutMs: opts.timeoutMs ?? 10_000 });
  return {
    async stop() {
      child.send({ stop: true });
      return results;
    },
  } satisfies SteadyLoad;
}

export function within(answers: Answer[], from: number, to: number): Answer[] {
  return answers.filter((a) => a.at >= from && a.at < to);
}

/** "catalog: 200×120 503×3" — what a failing expectation prints. */
export function summary(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.name}:${a.status || a.error}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(' ');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/main/cli.js', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

/**
 * `node server/dist/main/cli.js serve --worker`, as production runs it (build first:
 * `npm run build -w server`), in its own process group so a kill takes its ffmpeg down too.
 */
export function startWorker(env: Record<string, string>): WorkerProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w server\` first`);
  const child = spawn(process.execPath, [CLI, 'serve', '--worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    exited,
    output: () =>
      `${output.slice(-20_000)}${child.exitCode !== null || child.signalCode ? `\n(exited: ${child.exitCode ?? child.signalCode})` : ''}`,
  };
}

export async function killGroup(worker: WorkerProcess, signal: NodeJS.Signals): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null || !worker.child.pid) return;
  try {
    process.kill(-worker.child.pid, signal);
  } catch {
    return; // already gone
  }
  await worker.exited;
}

export interface ApiProcess extends WorkerProcess {
  url: string;
}

/** `node server/dist/main/cli.js serve --api` on a free loopback port; resolves once it answers. */
export async function startApi(env: Record<string, string>, port: number): Promise<ApiProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w server\` first`);
  const child = spawn(process.execPath, [CLI, 'serve', '--api'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited ${child.exitCode}\n${output}`);
    const up = await fetch(`${url}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the API did not start\n${output}`);
    await sleep(200);
  }
  return { child, exited, output: () => output.slice(-20_000), url };
}

/**
 * One load run against a server the bench started: autocannon in a second process on loopback
 * (load-client.mjs), while this process samples the server's CPU time and memory from /proc.
 * Every scenario of every bench goes through here, so all their numbers mean the same thing.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLIENT = fileURLToPath(new URL('./load-client.mjs', import.meta.url));
/** Linux reports process CPU time in clock ticks of 1/100 s on every platform Node supports here. */
const TICKS_PER_SECOND = 100;

export interface LoadSpec {
  /** Scenario name, carried into the result. */
  name: string;
  /** Origin of the server under test, e.g. http://127.0.0.1:3000. */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Unmeasured load first, so JIT, pools and caches are warm (0 for none). */
  warmupSeconds?: number;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Paths cycled in order, one per request. */
  paths: string[];
  /** Paths of the warm-up, when it must not ask for the measured ones first (pages meant to miss the cache). */
  warmupPaths?: string[];
  /** Headers on every request. */
  headers?: Record<string, string>;
  /** Connection i also sends headersPerConnection[i % length] (e.g. one student's token each). */
  headersPerConnection?: Record<string, string>[];
  /** Request bodies cycled in order (or one fixed body). */
  bodies?: string[];
  /** Headers sent with bodies[i] (e.g. a signature over those bytes); same length as bodies. */
  bodyHeaders?: Record<string, string>[];
  /**
   * Connection i sends requestsPerConnection[i % length] every time (its own path, body and
   * headers: one student's lesson and playback session); `paths` and `bodies` are then unused.
   */
  requestsPerConnection?: { path: string; body?: string; headers?: Record<string, string> }[];
  /** Open loop: this many requests per second in all, instead of as fast as answers come. */
  rate?: number;
  /** The server's processes (all of them: cluster workers too) whose CPU and memory are sampled. */
  pids: number[];
  /** Status codes that count as a correct answer; others are reported in `unexpected`. Default 200. */
  expectStatus?: number[];
  timeoutSeconds?: number;
}

export interface LoadResult {
  name: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  statusCounts: Record<string, number>;
  /** Answers whose status is not in expectStatus, plus socket errors and timeouts. */
  unexpected: number;
  errors: number;
  timeouts: number;
  /** Server CPU time (user + system, all sampled processes) per answered request. */
  cpuMsPerRequest: number;
  /** Server CPU use over the measured window, in cores (1 = one core busy all the time). */
  cpuCores: number;
  /** Highest sum of the sampled processes' RSS seen during the run. */
  rssMaxMb: number;
  /** Highest RSS of any one sampled process. */
  rssMaxPerProcessMb: number;
  bytesPerSecond: number;
}

interface ClientResult {
  requests: number;
  durationSeconds: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  latencyMs: LoadResult['latencyMs'];
  bytesPerSecond: number;
}

/** utime + stime of a process in clock ticks; 0 once it is gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0; // the process ended; what it used is lost, which the caller sees as fewer ms
  }
}

export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and every process below it (cluster workers, ffmpeg children...). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone between readdir and read
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function runClient(spec: LoadSpec, durationSeconds: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load client for ${spec.name} exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out) as ClientResult);
      } catch {
        reject(new Error(`load client for ${spec.name} printed no result: ${out.slice(0, 200)} ${err.trim()}`));
      }
    });
    child.stdin.end(JSON.stringify({ ...spec, durationSeconds }));
  });
}

export interface ServerUsage {
  /** CPU time (user + system) of all the processes since the sampler started. */
  cpuMs: number;
  elapsedSeconds: number;
  /** Highest sum of their RSS seen, and highest RSS of any one of them, in MB. */
  rssMax: number;
  rssMaxOne: number;
}

/**
 * Samples the server's processes while a load runs (RSS every 250 ms, CPU time at both ends);
 * stop() may be called more than once and returns the same totals after the first call.
 */
export function sampleServer(pids: number[]): { stop(): ServerUsage } {
  let rssMax = 0;
  let rssMaxOne = 0;
  const sample = () => {
    let sum = 0;
    for (const pid of pids) {
      const mb = rssMb(pid);
      sum += mb;
      rssMaxOne = Math.max(rssMaxOne, mb);
    }
    rssMax = Math.max(rssMax, sum);
  };
  const cpuBefore = pids.reduce((n, pid) => n + cpuTicks(pid), 0);
  const started = process.hrtime.bigint();
  const timer = setInterval(sample, 250);
  let done: ServerUsage | undefined;
  return {
    stop() {
      if (done) return done;
      clearInterval(timer);
      sample();
      done = {
        cpuMs: ((pids.reduce((n, pid) => n + cpuTicks(pid), 0) - cpuBefore) * 1000) / TICKS_PER_SECOND,
        elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        rssMax,
        rssMaxOne,
      };
      return done;
    },
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (!spec.paths.length) throw new Error(`${spec.name}: no paths`);
  if (spec.warmupSeconds) {
    await runClient(spec.warmupPaths?.length ? { ...spec, paths: spec.warmupPaths } : spec, spec.warmupSeconds);
  }
  const sampler = sampleServer(spec.pids);
  let result: ClientResult;
  try {
    result = await runClient(spec, spec.durationSeconds);
  } finally {
    sampler.stop();
  }
  const { cpuMs, elapsedSeconds, rssMax, rssMaxOne } = sampler.stop();
  const expected = new Set((spec.expectStatus ?? [200]).map(String));
  const wrongStatus = Object.entries(result.statusCounts)
    .filter(([code]) => !expected.has(code))
    .reduce((n, [, count]) => n + count, 0);
  return {
    name: spec.name,
    connections: spec.connections,
    durationSeconds: result.durationSeconds,
    requests: result.requests,
    requestsPerSecond: result.requests / result.durationSeconds,
    latencyMs: result.latencyMs,
    statusCounts: result.statusCounts,
    unexpected: wrongStatus + result.errors + result.timeouts,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuMsPerRequest: result.requests ? cpuMs / result.requests : 0,
    cpuCores: cpuMs / 1000 / elapsedSeconds,
    rssMaxMb: rssMax,
    rssMaxPerProcessMb: rssMaxOne,
    bytesPerSecond: result.bytesPerSecond,
  };
}

/**
 * runLoad (bench/lib/load.ts) with Debian's wrk as the client instead of autocannon, for responses
 * of megabytes (HLS segments). autocannon parses bodies in JavaScript (http-parser-js): on a 2 MB
 * file from nginx it managed 4 req/s where wrk managed 119 on the same server and machine, so it
 * would measure itself, not the server. Same inputs and the same LoadResult, with the server's CPU
 * and RSS sampled from /proc the same way; latency has wrk's microsecond resolution. Status codes
 * are only told apart as 2xx/3xx or not (wrk's summary), and `unexpected` counts the others, unless
 * `statuses` is asked for: then each answer's code is counted (in wrk's Lua, which costs the client
 * a copy of every body: right for API answers, wrong for megabyte segments) and `unexpected` counts
 * the codes outside `expectStatus`, as runLoad does.
 *
 * Also the lighter client for API loads where the client's own CPU decides the result: about 0.03 ms
 * of CPU per request against autocannon's 0.08 (bench/scale-out.ts says why that matters there).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleServer, type LoadResult, type LoadSpec } from '../lib/load.js';

const SCRIPT = fileURLToPath(new URL('./wrk-paths.lua', import.meta.url));

interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Answers per status code; only with LECTIO_WRK_STATUSES=1 (see wrk-paths.lua). */
  statuses: Record<string, number>;
}

/** Whether wrk can send this load: a fixed request list (paths, or one request per caller), closed loop. */
export function wrkCanSend(spec: LoadSpec): boolean {
  return !spec.bodies && !spec.bodyHeaders && !spec.headersPerConnection && !spec.rate;
}

/**
 * The request file wrk-paths.lua reads: a path per line for plain GETs, otherwise tab-separated
 * method, path, body and header name/value pairs (JSON bodies and tokens hold no tabs or newlines).
 */
export function wrkRequestLines(spec: LoadSpec, paths: string[] = spec.paths): string[] {
  if (!wrkCanSend(spec)) {
    throw new Error(
      `${spec.name}: wrk-load takes paths or requestsPerConnection, not bodies, per-connection headers or a rate`,
    );
  }
  const method = spec.method ?? 'GET';
  const requests: NonNullable<LoadSpec['requestsPerConnection']> =
    spec.requestsPerConnection ?? paths.map((p) => ({ path: p }));
  return requests.map(({ path: p, body, headers }) => {
    const fields = [method, p, body ?? '', ...Object.entries(headers ?? {}).flat()];
    if (fields.some((f) => /[\t\r\n]/.test(f))) throw new Error(`${spec.name}: a request field holds a tab or newline`);
    return method === 'GET' && !body && !headers ? p : fields.join('\t');
  });
}

function wrk(spec: LoadSpec, durationSeconds: number, pathsFile: string, statuses: boolean): Promise<WrkResult> {
  const threads = Math.max(1, Math.min(os.availableParallelism(), spec.connections));
  const args = [
    `-t${threads}`,
    `-c${spec.connections}`,
    `-d${Math.max(1, Math.round(durationSeconds))}s`,
    `--timeout`,
    `${spec.timeoutSeconds ?? 10}s`,
    '-s',
    SCRIPT,
    ...Object.entries(spec.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    spec.url,
    '--',
    pathsFile,
    String(threads),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LECTIO_WRK_STATUSES: statuses ? '1' : '0' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line)
        return reject(new Error(`wrk for ${spec.name} exited ${code}: ${err.trim()} ${out.trim()}`));
      resolve(JSON.parse(line.slice('WRK_RESULT '.length)) as WrkResult);
    });
  });
}

export async function runWrkLoad(spec: LoadSpec, options: { statuses?: boolean } = {}): Promise<LoadResult> {
  if (!spec.paths.length && !spec.requestsPerConnection?.length) throw new Error(`${spec.name}: no paths`);
  const statuses = options.statuses ?? false;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-wrk-'));
  try {
    const requestsFile = path.join(dir, 'requests');
    writeFileSync(requestsFile, `${wrkRequestLines(spec).join('\n')}\n`);
    if (spec.warmupSeconds) {
      const warmupFile = path.join(dir, 'warmup');
      writeFileSync(warmupFile, `${wrkRequestLines(spec, spec.warmupPaths ?? spec.paths).join('\n')}\n`);
      await wrk(spec, spec.warmupSeconds, warmupFile, false);
    }
    const sampler = sampleServer(spec.pids);
    let result: WrkResult;
    try {
      result = await wrk(spec, spec.durationSeconds, requestsFile, statuses);
    } finally {
      sampler.stop();
    }
    const { cpuMs, elapsedSeconds, rssMax, rssMaxOne } = sampler.stop();
    const seconds = result.durationUs / 1e6;
    const errors = result.connect + result.read + result.write;
    const ok = result.requests - result.status;
    return {
      name: spec.name,
      connections: spec.connections,
      durationSeconds: seconds,
      requests: result.requests,
      requestsPerSecond: result.requests / seconds,
      // wrk measures in microseconds; hundredths of a millisecond are plenty for the report.
      latencyMs: {
        mean: ms(result.mean),
        p50: ms(result.p50),
        p90: ms(result.p90),
        p99: ms(result.p99),
        max: ms(result.max),
      },
      statusCounts: statuses
        ? result.statuses
        : { ...(ok ? { '2xx/3xx': ok } : {}), ...(result.status ? { other: result.status } : {}) },
      unexpected:
        (statuses ? unexpectedOf(result.statuses, spec.expectStatus ?? [200]) : result.status) +
        errors +
        result.timeout,
      errors,
      timeouts: result.timeout,
      cpuMsPerRequest: result.requests ? cpuMs / result.requests : 0,
      cpuCores: cpuMs / 1000 / elapsedSeconds,
      rssMaxMb: rssMax,
      rssMaxPerProcessMb: rssMaxOne,
      bytesPerSecond: result.bytes / seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function unexpectedOf(counted: Record<string, number>, expected: number[]): number {
  return Object.entries(counted).reduce((sum, [code, n]) => (expected.includes(Number(code)) ? sum : sum + n), 0);
}

const ms = (us: number) => Math.round(us / 10) / 100;

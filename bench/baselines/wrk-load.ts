/**
 * runLoad (bench/lib/load.ts) with Debian's wrk as the client instead of autocannon, for responses
 * of megabytes (HLS segments). autocannon parses bodies in JavaScript (http-parser-js): on a 2 MB
 * file from nginx it managed 4 req/s where wrk managed 119 on the same server and machine, so it
 * would measure itself, not the server. Same inputs and the same LoadResult, with the server's CPU
 * and RSS sampled from /proc the same way; latency has wrk's microsecond resolution. Status codes
 * are only told apart as 2xx/3xx or not (wrk's summary); `unexpected` counts the others.
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
}

function wrk(spec: LoadSpec, durationSeconds: number, pathsFile: string): Promise<WrkResult> {
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
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function runWrkLoad(spec: LoadSpec): Promise<LoadResult> {
  if (!spec.paths.length) throw new Error(`${spec.name}: no paths`);
  if (spec.method && spec.method !== 'GET') throw new Error(`${spec.name}: wrk-load only sends GET`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-wrk-'));
  try {
    const pathsFile = path.join(dir, 'paths');
    writeFileSync(pathsFile, `${spec.paths.join('\n')}\n`);
    if (spec.warmupSeconds) await wrk(spec, spec.warmupSeconds, pathsFile);
    const sampler = sampleServer(spec.pids);
    let result: WrkResult;
    try {
      result = await wrk(spec, spec.durationSeconds, pathsFile);
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
      latencyMs: {
        mean: result.mean / 1000,
        p50: result.p50 / 1000,
        p90: result.p90 / 1000,
        p99: result.p99 / 1000,
        max: result.max / 1000,
      },
      statusCounts: { ...(ok ? { '2xx/3xx': ok } : {}), ...(result.status ? { other: result.status } : {}) },
      unexpected: result.status + errors + result.timeout,
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

/**
 * `npm run bench -- delivery [--duration s] [--connections 32,64] [--repetitions n] [--smoke] [--no-write]`
 *
 * Edge segment delivery against nginx serving the same files statically (issue 9: target ≥ 80 %).
 * A short HLS ladder is generated with ffmpeg (6 s segments at the bitrates of a real ladder), put
 * (a) in a plain directory that nginx serves statically and (b) in Lectio's storage, behind
 * deploy/nginx/edge.conf → deploy/nginx/lb.conf → `lectio serve --api` (production configuration).
 * The edge's cache is warmed (each file fetched once), then every server is loaded in turn with
 * signed /media/p/… URLs of 64 different viewers (the edge) or the plain paths (static), the order
 * rotating every repetition. The load client is Debian's wrk (bench/baselines/wrk-load.ts: autocannon
 * cannot take in megabyte bodies fast enough to load nginx). The edge speaks HTTPS (it faces viewers), so the ratio that counts is
 * against static nginx with the same TLS settings; static over plain HTTP is reported beside it.
 * Writes docs/benchmarks/delivery.json.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signedMediaPath } from '../server/src/modules/playback/token.js';
import { mediaTypeOf } from '../server/src/modules/videos/media-types.js';
import { LocalStorage } from '../server/src/platform/storage/local.js';
import {
  NGINX_DIR,
  rawRequest,
  renderTemplate,
  selfSignedCertificate,
  startNginx,
  type Nginx,
} from '../server/test/support/nginx.js';
import { freePort } from '../server/test/support/private-services.js';
import { startLectioStack, type LectioStack } from './baselines/lectio.js';
import { startNginxProcess, type NginxProcess } from './baselines/nginx-process.js';
import { startNginxStatic } from './baselines/nginx-static.js';
import type { Baseline } from './baselines/types.js';
import { parseFlags } from './lib/args.js';
import type { LoadResult } from './lib/load.js';
import { runWrkLoad } from './baselines/wrk-load.js';
import { describeMetaBrief, startMeta, writeBenchJson, type BenchMeta } from './lib/meta.js';

const JSON_OUT = new URL('../docs/benchmarks/delivery.json', import.meta.url);
export const DELIVERY_TARGET_RATIO = 0.8;
/** Distinct viewers (tokens) whose URLs the load cycles through. */
const VIEWERS = 64;

export interface Rung {
  name: string;
  width: number;
  height: number;
  videoKbps: number;
}

/** Bitrates of a typical lecture ladder's top three rungs (x264, 30 fps). */
const FULL_LADDER: Rung[] = [
  { name: '1080p', width: 1920, height: 1080, videoKbps: 5000 },
  { name: '720p', width: 1280, height: 720, videoKbps: 2800 },
  { name: '360p', width: 640, height: 360, videoKbps: 800 },
];

export interface DeliveryBenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  repetitions: number;
  /** Length of the generated lecture; with 6 s segments, 18 s is three segments per rung. */
  videoSeconds: number;
  segmentSeconds: number;
  rungs: Rung[];
  /** Also load nginx static over plain HTTP (reported, not the target's denominator). */
  plainHttp: boolean;
  write: boolean;
  argv: string[];
}

export type DeliveryServer = 'edge' | 'static_https' | 'static_http';

export interface DeliveryRun {
  server: DeliveryServer;
  connections: number;
  repetition: number;
  requestsPerSecond: number;
  megabytesPerSecond: number;
  latencyMs: LoadResult['latencyMs'];
  cpuMsPerRequest: number;
  cpuCores: number;
  rssMaxMb: number;
  requests: number;
  statusCounts: Record<string, number>;
  unexpected: number;
}

export interface DeliverySummaryRow {
  connections: number;
  /** Medians over the repetitions. */
  servers: Partial<
    Record<
      DeliveryServer,
      { requestsPerSecond: number; megabytesPerSecond: number; p50: number; p99: number; cpuMsPerRequest: number }
    >
  >;
  /** edge ÷ static over TLS: throughput (req/s) and CPU per request (> 1 = the edge costs more). */
  ratio: { requestsPerSecond: number; megabytesPerSecond: number; cpuMsPerRequest: number };
  /** edge ÷ static over plain HTTP, when measured. */
  ratioPlainHttp: { requestsPerSecond: number; cpuMsPerRequest: number } | null;
}

export interface DeliveryJson {
  meta: BenchMeta;
  results: {
    ladder: {
      rungs: Rung[];
      segmentSeconds: number;
      segments: number;
      segmentBytes: { min: number; mean: number; max: number };
    };
    load: {
      durationSeconds: number;
      warmupSeconds: number;
      repetitions: number;
      connections: number[];
      viewers: number;
    };
    /** API processes behind the edge (the origin; idle once the cache is warm). */
    originProcesses: number;
    runs: DeliveryRun[];
    summary: DeliverySummaryRow[];
    edgeCache: {
      /** Cache status of every edge answer during the measured and warm-up load. */
      statuses: Record<string, number>;
      /** Requests that reached the origin (the load balancer's log) while the edge was loaded. */
      originFetchesDuringLoad: number;
    };
    target: { ratio: number; met: boolean; worstRatio: number };
  };
}

export function parseDeliveryArgs(rest: string[]): DeliveryBenchOptions {
  const opts: DeliveryBenchOptions = {
    durationSeconds: 10,
    warmupSeconds: 2,
    connections: [32, 64],
    repetitions: 2,
    videoSeconds: 18,
    segmentSeconds: 6,
    rungs: FULL_LADDER,
    plainHttp: true,
    write: true,
    argv: ['delivery', ...rest],
  };
  parseFlags(rest, {
    '--duration': (v) => (opts.durationSeconds = v.number()),
    '--connections': (v) => {
      opts.connections = String(v.text() ?? '')
        .split(',')
        .map(Number);
      if (!opts.connections.every((c) => Number.isInteger(c) && c > 0)) throw new Error('--connections: c[,c]');
    },
    '--repetitions': (v) => (opts.repetitions = Math.floor(v.number())),
    '--no-write': () => (opts.write = false),
    '--smoke': () => Object.assign(opts, smokeOptions()),
  });
  return opts;
}

/** The CI version: one small rung, 1 s of 4 connections per server, nothing written. */
export function smokeOptions(): Partial<DeliveryBenchOptions> {
  return {
    durationSeconds: 1,
    warmupSeconds: 0,
    connections: [4],
    repetitions: 1,
    videoSeconds: 4,
    segmentSeconds: 2,
    rungs: [{ name: '360p', width: 640, height: 360, videoKbps: 800 }],
    plainHttp: false,
    write: false,
  };
}

/**
 * One ffmpeg run per rung: test pattern plus temporal noise (so the encoder spends the whole
 * bitrate, as camera footage does), x264 at the rung's average bitrate, a keyframe every segment.
 */
function generateLadder(dir: string, opts: DeliveryBenchOptions): string[] {
  const fps = 30;
  const files: string[] = [];
  const master = ['#EXTM3U', '#EXT-X-VERSION:3'];
  for (const rung of opts.rungs) {
    const out = path.join(dir, rung.name);
    mkdirSync(out, { recursive: true });
    const kbps = rung.videoKbps;
    execFileSync(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', `testsrc2=size=${rung.width}x${rung.height}:rate=${fps}`],
        ...['-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=48000'],
        ...['-t', String(opts.videoSeconds), '-vf', 'noise=alls=24:allf=t+u,format=yuv420p'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`],
        ...['-bufsize', `${kbps * 2}k`, '-g', String(fps * opts.segmentSeconds), '-sc_threshold', '0'],
        ...['-c:a', 'aac', '-b:a', '128k', '-f', 'hls', '-hls_time', String(opts.segmentSeconds)],
        ...['-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(out, 'seg_%05d.ts')],
        path.join(out, 'index.m3u8'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    master.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(kbps + 128) * 1000},RESOLUTION=${rung.width}x${rung.height}`);
    master.push(`${rung.name}/index.m3u8`);
    for (const f of readdirSync(out).sort()) if (f.endsWith('.ts')) files.push(`${rung.name}/${f}`);
  }
  return files;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface AccessEntry {
  path: string;
  status: number;
  cache?: string;
}

function readAccessLog(file: string): AccessEntry[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AccessEntry);
}

export async function runDeliveryBench(
  opts: DeliveryBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<DeliveryJson> {
  const run = startMeta(opts.argv);
  // Readable by nginx workers (nobody): the static root and certificates live under here.
  const work = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-delivery-'));
  chmodSync(work, 0o755);
  const stops: (() => Promise<void>)[] = [];
  try {
    const videoId = randomUUID();
    const version = 'v1';
    const staticRoot = path.join(work, 'static');
    const ladderDir = path.join(staticRoot, 'videos', videoId, version);
    mkdirSync(ladderDir, { recursive: true });
    for (const dir of [staticRoot, path.join(staticRoot, 'videos'), path.join(staticRoot, 'videos', videoId)])
      chmodSync(dir, 0o755);
    log(`generating the ladder (${opts.rungs.map((r) => r.name).join(', ')}, ${opts.videoSeconds} s)`);
    const segments = generateLadder(ladderDir, opts);
    const sizes = segments.map((s) => statSync(path.join(ladderDir, s)).size);
    log(
      `${segments.length} segments, ${(Math.min(...sizes) / 1e6).toFixed(2)}–${(Math.max(...sizes) / 1e6).toFixed(2)} MB`,
    );

    log('starting Lectio (private PostgreSQL + Redis, serve --api, NODE_ENV=production)');
    const stack: LectioStack = await startLectioStack({ processes: 1, log });
    stops.push(() => stack.stop());
    const key = stack.env.PLAYBACK_SIGNING_KEY!;
    // The published files in Lectio's own store, as the pipeline's publisher leaves them.
    const storage = new LocalStorage({
      root: path.join(stack.dataDir, 'storage'),
      publicUrl: stack.url,
      signingSecret: 'bench-side-handle-never-signs',
    });
    for (const rest of segments) {
      await storage.putObject(
        'videos-processed',
        `${videoId}/${version}/${rest}`,
        createReadStream(path.join(ladderDir, rest)),
        {
          contentType: mediaTypeOf(rest),
        },
      );
    }

    const { cert, key: certKey } = selfSignedCertificate(work);
    const ca = readFileSync(cert, 'utf8');
    const lbPort = await freePort();
    const lbHttpPort = await freePort();
    let lbLog = '';
    const lb: Nginx = await startNginx({
      ports: [lbPort, lbHttpPort],
      http: (dir) => {
        lbLog = path.join(dir, 'access.log');
        return renderTemplate('lb.conf', {
          LECTIO_LB_HTTPS_LISTEN: `127.0.0.1:${lbPort}`,
          LECTIO_LB_HTTP_LISTEN: `127.0.0.1:${lbHttpPort}`,
          LECTIO_TLS_CERTIFICATE: cert,
          LECTIO_TLS_CERTIFICATE_KEY: certKey,
          LECTIO_API_1: new URL(stack.url).host,
          LECTIO_API_2: new URL(stack.url).host,
          LECTIO_LB_ACCESS_LOG: lbLog,
          LECTIO_LB_TRUSTED_PROXY: '127.0.0.1/32',
        });
      },
    });
    stops.push(() => lb.stop());
    const edgePort = await freePort();
    let edgeLog = '';
    const edge: NginxProcess = await startNginxProcess({
      ports: [edgePort],
      njs: true,
      main: ['env PLAYBACK_SIGNING_KEY;'],
      env: { PLAYBACK_SIGNING_KEY: key },
      http: (dir) => {
        edgeLog = path.join(dir, 'access.log');
        return renderTemplate('edge.conf', {
          LECTIO_EDGE_LISTEN: `127.0.0.1:${edgePort}`,
          LECTIO_EDGE_TLS_CERTIFICATE: cert,
          LECTIO_EDGE_TLS_CERTIFICATE_KEY: certKey,
          LECTIO_EDGE_CACHE_DIR: path.join(dir, 'cache'),
          LECTIO_NGINX_DIR: NGINX_DIR,
          LECTIO_EDGE_ORIGIN: `127.0.0.1:${lbPort}`,
          LECTIO_EDGE_ORIGIN_NAME: 'localhost',
          LECTIO_EDGE_ORIGIN_CA: cert,
          LECTIO_EDGE_ACCESS_LOG: edgeLog,
        });
      },
    });
    stops.push(() => edge.stop());
    const staticHttps = await startNginxStatic(staticRoot, { tls: { cert, key: certKey } });
    stops.push(() => staticHttps.stop());
    const staticHttp = opts.plainHttp ? await startNginxStatic(staticRoot) : undefined;
    if (staticHttp) stops.push(() => staticHttp.stop());

    // Warm the edge: each file once through it (a MISS fetched from the origin), then a HIT.
    const expiresAt = Math.floor(Date.now() / 1000) + 6 * 3600;
    for (const rest of segments) {
      const signed = signedMediaPath(key, { videoId, uid: 'warm-up', expiresAt }, `${version}/${rest}`);
      for (const want of ['MISS', 'HIT']) {
        const res = await rawRequest({ port: edgePort, ca }, { path: signed, timeoutMs: 30_000 });
        if (res.status !== 200 || res.headers['x-cache-status'] !== want) {
          throw new Error(
            `edge warm-up: ${rest} answered ${res.status} ${String(res.headers['x-cache-status'])}, expected 200 ${want}\n${edge.errors()}`,
          );
        }
        if (res.body.length !== statSync(path.join(ladderDir, rest)).size)
          throw new Error(`edge warm-up: ${rest} size`);
      }
    }
    const warmEdgeEntries = readAccessLog(edgeLog).length;
    const originBefore = readAccessLog(lbLog).filter((e) => e.path.startsWith('/media/')).length;

    // The same segments in the same order for both; the edge's carry one viewer's token each.
    const viewers = Array.from({ length: VIEWERS }, (_, i) => `bench-viewer-${i}`);
    const edgePaths = viewers.flatMap((uid) =>
      segments.map((rest) => signedMediaPath(key, { videoId, uid, expiresAt }, `${version}/${rest}`)),
    );
    const staticPaths = viewers.flatMap(() => segments.map((rest) => `/videos/${videoId}/${version}/${rest}`));
    const servers: { name: DeliveryServer; server: Baseline; paths: string[] }[] = [
      {
        name: 'edge',
        server: { url: `https://127.0.0.1:${edgePort}`, pids: () => edge.pids(), stop: edge.stop },
        paths: edgePaths,
      },
      { name: 'static_https', server: staticHttps, paths: staticPaths },
      ...(staticHttp ? [{ name: 'static_http' as const, server: staticHttp, paths: staticPaths }] : []),
    ];

    const runs: DeliveryRun[] = [];
    for (const connections of opts.connections) {
      for (let rep = 0; rep < opts.repetitions; rep++) {
        // Rotate the order so no server always runs first (cold) or last (after the others' heat).
        const order = servers.map((_, i) => servers[(i + rep) % servers.length]!);
        for (const { name, server, paths } of order) {
          const result = await runWrkLoad({
            name: `delivery_${name}_${connections}`,
            url: server.url,
            connections,
            durationSeconds: opts.durationSeconds,
            warmupSeconds: opts.warmupSeconds,
            paths,
            pids: server.pids(),
            timeoutSeconds: 30,
          });
          runs.push({
            server: name,
            connections,
            repetition: rep + 1,
            requestsPerSecond: result.requestsPerSecond,
            megabytesPerSecond: result.bytesPerSecond / 1e6,
            latencyMs: result.latencyMs,
            cpuMsPerRequest: result.cpuMsPerRequest,
            cpuCores: result.cpuCores,
            rssMaxMb: result.rssMaxMb,
            requests: result.requests,
            statusCounts: result.statusCounts,
            unexpected: result.unexpected,
          });
          log(
            `${String(connections).padStart(3)} conns rep ${rep + 1} ${name.padEnd(12)} ${result.requestsPerSecond.toFixed(0)} req/s ` +
              `${(result.bytesPerSecond / 1e6).toFixed(0)} MB/s p50 ${result.latencyMs.p50.toFixed(1)} ms p99 ${result.latencyMs.p99.toFixed(1)} ms ` +
              `${result.cpuMsPerRequest.toFixed(3)} CPU ms/req, unexpected ${result.unexpected}`,
          );
        }
      }
    }

    const statuses: Record<string, number> = {};
    for (const entry of readAccessLog(edgeLog).slice(warmEdgeEntries)) {
      const status = entry.cache || `status ${entry.status}`;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const originFetchesDuringLoad =
      readAccessLog(lbLog).filter((e) => e.path.startsWith('/media/')).length - originBefore;

    const summary: DeliverySummaryRow[] = opts.connections.map((connections) => {
      const row: DeliverySummaryRow['servers'] = {};
      for (const { name } of servers) {
        const mine = runs.filter((r) => r.server === name && r.connections === connections);
        row[name] = {
          requestsPerSecond: median(mine.map((r) => r.requestsPerSecond)),
          megabytesPerSecond: median(mine.map((r) => r.megabytesPerSecond)),
          p50: median(mine.map((r) => r.latencyMs.p50)),
          p99: median(mine.map((r) => r.latencyMs.p99)),
          cpuMsPerRequest: median(mine.map((r) => r.cpuMsPerRequest)),
        };
      }
      const e = row.edge!;
      const s = row.static_https!;
      const h = row.static_http;
      return {
        connections,
        servers: row,
        ratio: {
          requestsPerSecond: e.requestsPerSecond / s.requestsPerSecond,
          megabytesPerSecond: e.megabytesPerSecond / s.megabytesPerSecond,
          cpuMsPerRequest: e.cpuMsPerRequest / s.cpuMsPerRequest,
        },
        ratioPlainHttp: h
          ? {
              requestsPerSecond: e.requestsPerSecond / h.requestsPerSecond,
              cpuMsPerRequest: e.cpuMsPerRequest / h.cpuMsPerRequest,
            }
          : null,
      };
    });
    const worstRatio = Math.min(...summary.map((r) => r.ratio.requestsPerSecond));
    return {
      meta: run.finish(),
      results: {
        ladder: {
          rungs: opts.rungs,
          segmentSeconds: opts.segmentSeconds,
          segments: segments.length,
          segmentBytes: {
            min: Math.min(...sizes),
            mean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
            max: Math.max(...sizes),
          },
        },
        load: {
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.warmupSeconds,
          repetitions: opts.repetitions,
          connections: opts.connections,
          viewers: VIEWERS,
        },
        originProcesses: stack.processes,
        runs,
        summary,
        edgeCache: { statuses, originFetchesDuringLoad },
        target: { ratio: DELIVERY_TARGET_RATIO, met: worstRatio >= DELIVERY_TARGET_RATIO, worstRatio },
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

const f = (n: number, digits = 0) => n.toFixed(digits);

/** The Delivery section of docs/benchmarks.md, from delivery.json alone. */
export function renderDeliveryMarkdown(json: DeliveryJson): string {
  const { meta, results: r } = json;
  const lines = ['## Delivery', ''];
  lines.push(`${describeMetaBrief(meta)} Load generator: wrk (Debian) on the same machine.`);
  lines.push('');
  const b = r.ladder.segmentBytes;
  lines.push(
    `Files: a generated ladder (${r.ladder.rungs.map((x) => `${x.name} ${x.videoKbps} kbit/s`).join(', ')}; x264, AAC 128 kbit/s), ` +
      `${r.ladder.segments} segments of ${r.ladder.segmentSeconds} s, ${f(b.min / 1e6, 2)}–${f(b.max / 1e6, 2)} MB (mean ${f(b.mean / 1e6, 2)} MB). ` +
      `**edge**: deploy/nginx/edge.conf (HTTPS, playback token checked in njs on every request, proxy cache warm) in front of ` +
      `deploy/nginx/lb.conf and \`lectio serve --api\` (${r.originProcesses} process, production configuration), URLs signed for ${r.load.viewers} viewers. ` +
      `**static**: nginx serving the same files from a directory (sendfile, no access log), over HTTPS with edge.conf's TLS settings${r.summary.some((row) => row.ratioPlainHttp) ? ', and over plain HTTP' : ''}. ` +
      `Both nginx run one worker per core with keep-alive. ${r.load.durationSeconds} s per run after ${r.load.warmupSeconds} s of warm-up, ` +
      `${r.load.repetitions} repetition(s) with the order rotated; medians below. CPU per request is the server's (master + workers), from /proc.`,
  );
  lines.push('');
  lines.push('| connections | server | req/s | MB/s | p50 ms | p99 ms | CPU ms/req |');
  lines.push('|---:|---|---:|---:|---:|---:|---:|');
  const names: Record<DeliveryServer, string> = {
    edge: 'edge (HTTPS, cache warm)',
    static_https: 'nginx static (HTTPS)',
    static_http: 'nginx static (HTTP)',
  };
  for (const row of r.summary) {
    for (const name of ['edge', 'static_https', 'static_http'] as const) {
      const s = row.servers[name];
      if (!s) continue;
      lines.push(
        `| ${row.connections} | ${names[name]} | ${f(s.requestsPerSecond)} | ${f(s.megabytesPerSecond)} | ${f(s.p50, 1)} | ${f(s.p99, 1)} | ${f(s.cpuMsPerRequest, 3)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| connections | edge ÷ static HTTPS, req/s | MB/s | CPU per request | edge ÷ static HTTP, req/s | CPU per request |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|');
  for (const row of r.summary) {
    lines.push(
      `| ${row.connections} | ${f(row.ratio.requestsPerSecond, 2)} | ${f(row.ratio.megabytesPerSecond, 2)} | ${f(row.ratio.cpuMsPerRequest, 2)} | ` +
        `${row.ratioPlainHttp ? f(row.ratioPlainHttp.requestsPerSecond, 2) : '—'} | ${row.ratioPlainHttp ? f(row.ratioPlainHttp.cpuMsPerRequest, 2) : '—'} |`,
    );
  }
  lines.push('');
  const statuses = Object.entries(r.edgeCache.statuses)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push(
    `**Edge ÷ nginx static (HTTPS both): ${f(r.target.worstRatio, 2)} of the requests per second at worst** (target ≥ ${r.target.ratio}: ${r.target.met ? 'met' : '**not met**'}). ` +
      `The machine was shared, so each server got whatever CPU the others left it; the CPU each spent per request is the steadier ` +
      `measure: the edge spent ${r.summary.map((row) => `${f(row.ratio.cpuMsPerRequest, 2)}×`).join(' and ')} the CPU of static nginx per segment ` +
      `(${r.summary.map((row) => f(1 / row.ratio.cpuMsPerRequest, 2)).join(' and ')} of its throughput when CPU-bound). ` +
      `Edge cache status of every answer under load: ${statuses}; requests that reached the origin while the edge was loaded: ${r.edgeCache.originFetchesDuringLoad}.`,
  );
  lines.push('');
  lines.push(
    'Raw numbers: [`docs/benchmarks/delivery.json`](benchmarks/delivery.json). CI runs the smoke version (`server/test/delivery-bench.test.ts`).',
  );
  return lines.join('\n');
}

export async function mainDelivery(rest: string[]): Promise<void> {
  const opts = parseDeliveryArgs(rest);
  const log = (line: string) => console.log(`[bench] ${line}`);
  const json = await runDeliveryBench(opts, log);
  for (const row of json.results.summary) {
    log(
      `${row.connections} connections: edge ÷ static HTTPS ${f(row.ratio.requestsPerSecond, 2)} (req/s), ` +
        `CPU per request ${f(row.ratio.cpuMsPerRequest, 2)}×` +
        (row.ratioPlainHttp ? `; edge ÷ static HTTP ${f(row.ratioPlainHttp.requestsPerSecond, 2)}` : ''),
    );
  }
  if (opts.write) {
    writeBenchJson(JSON_OUT, json);
    log(`wrote ${JSON_OUT.pathname}`);
  } else {
    console.log(renderDeliveryMarkdown(json));
  }
}

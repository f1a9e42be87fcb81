/**
 * The soak (issue 10): `npm run bench -- soak [--minutes 10] [--connections 32] [--no-write]`.
 *
 * Lectio in its production configuration (bench/api/server.ts: `serve --api` on every core plus
 * one worker, private PostgreSQL and Redis, seeded by bench/api/seed.ts), then:
 *   1. capacity: each route of the mix alone, closed loop, for a few seconds;
 *   2. the mix (course list 40 %, course detail 30 %, progress heartbeats 20 %, playback grants
 *      10 %) as an open loop at half the mix's capacity, first a warm-up, then `--minutes` in
 *      samples of `--sample` seconds (a minute by default), each recording the API processes'
 *      RSS and every route's p99.
 * Verdict: memory (median RSS of the last third of the samples against the first third) grows by
 * less than 10 %, and p99 (the slowest route's; the best sample of the last third against the
 * worst of the first third, with a 10 ms floor so 2 ms → 5 ms on an idle loopback is not
 * "doubled") stays within 2× its start. Several samples each, so one noisy minute on a shared
 * machine decides nothing, while a slowdown or growth that lasts still fails.
 *
 * Writes docs/benchmarks/soak.json (the markdown section is generated from it by bench/lib/report.ts).
 * server/test/soak.test.ts runs the 30-second version of exactly this code (`--ci`).
 */
import os from 'node:os';
import { migrate } from '../server/src/platform/db/migrate.js';
import { startPrivateRedis, type PrivateRedis } from '../server/test/support/private-services.js';
import { grantRequests, heartbeatRequests, openCallers } from './api/index.js';
import { startTunedPostgres, type TunedPostgres } from './api/postgres.js';
import { openSeedDatabase, seedApiData, type SeedSizes, type SeededData } from './api/seed.js';
import { startLectio, type LectioServer } from './api/server.js';
import { parseFlags } from './lib/args.js';
import { runLoad, type LoadResult, type LoadSpec } from './lib/load.js';
import { describeMeta, startMeta, writeBenchJson, type BenchMeta } from './lib/meta.js';

const SOAK_JSON = new URL('../docs/benchmarks/soak.json', import.meta.url);
export const MEMORY_GROWTH_LIMIT = 0.1;
export const P99_GROWTH_LIMIT = 2;
/** Below this a p99 is loopback noise at 1 ms resolution; doubling from 2 to 4 ms is no regression. */
export const P99_FLOOR_MS = 10;

export interface SoakOptions {
  minutes: number;
  sampleSeconds: number;
  warmupSeconds: number;
  capacitySeconds: number;
  /** Connections of the capacity measurement. */
  connections: number;
  /** Connections of each route in the mix (the open loop's rate is what matters). */
  mixConnections: number;
  /** Share of the measured capacity the mix runs at. */
  loadFraction: number;
  sizes: SeedSizes;
  write: boolean;
  ci: boolean;
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const opts: SoakOptions = {
    minutes: 10,
    sampleSeconds: 60,
    warmupSeconds: 30,
    capacitySeconds: 5,
    connections: 32,
    mixConnections: 8,
    loadFraction: 0.5,
    sizes: { courses: 2_000, students: 10_000, progressRows: 100_000, pendingOrders: 0 },
    write: true,
    ci: false,
  };
  // 30 s in six 5-second samples, after a 5 s warm-up.
  const ci = () =>
    Object.assign(opts, {
      ci: true,
      minutes: 0.5,
      sampleSeconds: 5,
      warmupSeconds: 5,
      capacitySeconds: 1.5,
      connections: 8,
      mixConnections: 4,
      sizes: { courses: 200, students: 1_000, progressRows: 10_000, pendingOrders: 0 },
      write: false,
    });
  parseFlags(argv, {
    '--minutes': (v) => (opts.minutes = v.number()),
    '--sample': (v) => (opts.sampleSeconds = v.number()),
    '--connections': (v) => (opts.connections = Math.floor(v.number())),
    '--no-write': () => (opts.write = false),
    '--ci': ci,
    '--smoke': ci,
  });
  return opts;
}

export interface SoakStack {
  postgres: TunedPostgres;
  redis: PrivateRedis;
  server: LectioServer;
  seed: SeededData;
  stop(): Promise<void>;
}

/** Databases, data and Lectio; `env` reaches the Lectio processes (a test's hook). */
export async function startSoakStack(
  opts: SoakOptions,
  log: (line: string) => void,
  env?: Record<string, string>,
): Promise<SoakStack> {
  const [postgres, redis] = await Promise.all([startTunedPostgres(), startPrivateRedis()]);
  let server: LectioServer | undefined;
  let database: ReturnType<typeof openSeedDatabase> | undefined;
  try {
    // Open until stop(): the seed's look-ups (each caller's lesson) read it.
    database = openSeedDatabase(postgres.url);
    await migrate(database.primary);
    const seed = await seedApiData(database.primary, opts.sizes, log);
    server = await startLectio({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      processes: os.availableParallelism(),
      worker: true,
      env,
    });
    const started = server;
    const db = database;
    return {
      postgres,
      redis,
      server,
      seed,
      async stop() {
        await started.stop();
        await db.close();
        await redis.stop();
        await postgres.server.destroy();
      },
    };
  } catch (error) {
    await server?.stop();
    await database?.close();
    await redis.stop();
    await postgres.server.destroy();
    throw error;
  }
}

type RouteName = 'catalog' | 'detail' | 'heartbeat' | 'grant';
const SHARES: Record<RouteName, number> = { catalog: 0.4, detail: 0.3, heartbeat: 0.2, grant: 0.1 };

export interface SoakSample {
  /** Seconds since the measured soak began, at the end of the sample. */
  atSeconds: number;
  /** Largest sum of the API processes' RSS seen in the sample. */
  rssMb: number;
  rssMaxPerProcessMb: number;
  /** The slowest route's p99. */
  p99Ms: number;
  routes: Record<RouteName, { requestsPerSecond: number; p50: number; p99: number; unexpected: number }>;
}

export interface SoakResult {
  meta: BenchMeta;
  options: SoakOptions;
  apiProcesses: number;
  capacity: Record<RouteName, number>;
  /** Requests per second of the whole mix at capacity (harmonic, by share) and what ran. */
  mixCapacity: number;
  targetRate: number;
  samples: SoakSample[];
  verdict: {
    rssStartMb: number;
    rssEndMb: number;
    memoryGrowth: number;
    memoryOk: boolean;
    p99StartMs: number;
    p99EndMs: number;
    p99Ratio: number;
    p99Ok: boolean;
    unexpected: number;
    ok: boolean;
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Verdict over the samples: medians of the first and last third (at least one each). */
export function soakVerdict(samples: SoakSample[]): SoakResult['verdict'] {
  const k = Math.max(1, Math.floor(samples.length / 3));
  const first = samples.slice(0, k);
  const last = samples.slice(-k);
  const rssStartMb = median(first.map((s) => s.rssMb));
  const rssEndMb = median(last.map((s) => s.rssMb));
  // p99 is what a shared machine disturbs most: a burst of other work lifts one sample's p99 for
  // reasons that are not the server's. So the start is the worst of the first third and the end
  // the best of the last third: only a slowdown that lasts through the whole end fails.
  const p99StartMs = Math.max(...first.map((s) => s.p99Ms));
  const p99EndMs = Math.min(...last.map((s) => s.p99Ms));
  const memoryGrowth = rssEndMb / rssStartMb - 1;
  const p99Ratio = p99EndMs / Math.max(p99StartMs, P99_FLOOR_MS);
  const unexpected = samples.reduce((n, s) => n + Object.values(s.routes).reduce((m, r) => m + r.unexpected, 0), 0);
  const memoryOk = memoryGrowth < MEMORY_GROWTH_LIMIT;
  const p99Ok = p99Ratio <= P99_GROWTH_LIMIT;
  return {
    rssStartMb,
    rssEndMb,
    memoryGrowth,
    memoryOk,
    p99StartMs,
    p99EndMs,
    p99Ratio,
    p99Ok,
    unexpected,
    ok: memoryOk && p99Ok && unexpected === 0,
  };
}

export interface SoakRunOptions {
  /** Capacity measured before (reuse it instead of measuring again). */
  capacity?: Record<RouteName, number>;
  /** Headers on every request (a test's hook). */
  headers?: Record<string, string>;
  /** Which load number the callers' addresses start from (distinct per soak on one stack). */
  loadNumber?: number;
}

export async function runSoak(
  stack: SoakStack,
  opts: SoakOptions,
  argv: string[],
  log: (line: string) => void = () => undefined,
  run: SoakRunOptions = {},
): Promise<SoakResult> {
  const meta = startMeta(argv);
  const { server, seed } = stack;
  const pids = () => server.apiPids();
  let loadNumber = run.loadNumber ?? 100;
  const headers = run.headers ?? {};
  const specs = async (connections: number): Promise<Record<RouteName, Omit<LoadSpec, 'durationSeconds' | 'pids'>>> => {
    const callers = await openCallers(server.url, seed, connections, ++loadNumber);
    const base = { url: server.url, connections, headers: { ...headers } };
    const post = {
      ...base,
      method: 'POST' as const,
      paths: ['/'],
      headers: { ...headers, 'content-type': 'application/json' },
    };
    return {
      catalog: {
        ...base,
        name: 'catalog',
        paths: [1, 2, 3, 4, 5].flatMap((page) =>
          ['newest', 'popular', 'rating'].map((sort) => `/api/v1/courses?sort=${sort}&page=${page}`),
        ),
      },
      detail: { ...base, name: 'detail', paths: seed.slugs.map((s) => `/api/v1/courses/${s}`) },
      heartbeat: {
        ...post,
        name: 'heartbeat',
        expectStatus: [202],
        requestsPerConnection: heartbeatRequests(callers.heartbeat),
      },
      grant: {
        ...post,
        name: 'grant',
        requestsPerConnection: grantRequests(callers.grant),
      },
    };
  };
  const routes = Object.keys(SHARES) as RouteName[];

  let capacity = run.capacity;
  if (!capacity) {
    const alone = await specs(opts.connections);
    capacity = { catalog: 0, detail: 0, heartbeat: 0, grant: 0 };
    for (const route of routes) {
      const r = await runLoad({
        ...alone[route],
        durationSeconds: opts.capacitySeconds,
        warmupSeconds: Math.min(1, opts.capacitySeconds / 3),
        pids: pids(),
      });
      capacity[route] = r.requestsPerSecond;
      log(
        `capacity ${route.padEnd(9)} ${r.requestsPerSecond.toFixed(0)} req/s (closed loop, ${opts.connections} connections)`,
      );
    }
  }
  const mixCapacity = 1 / routes.reduce((n, r) => n + SHARES[r] / Math.max(capacity[r], 1e-9), 0);
  const targetRate = mixCapacity * opts.loadFraction;
  log(`mix capacity ${mixCapacity.toFixed(0)} req/s; soaking at ${targetRate.toFixed(0)} req/s`);

  const mix = await specs(opts.mixConnections);
  const runMix = (seconds: number) =>
    Promise.all(
      routes.map((route) =>
        runLoad({
          ...mix[route],
          durationSeconds: seconds,
          pids: pids(),
          rate: Math.max(1, Math.round(targetRate * SHARES[route])),
        }),
      ),
    );
  log(`warm-up ${opts.warmupSeconds} s`);
  await runMix(opts.warmupSeconds);
  const samples: SoakSample[] = [];
  const count = Math.max(2, Math.round((opts.minutes * 60) / opts.sampleSeconds));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const results = await runMix(opts.sampleSeconds);
    const byRoute = Object.fromEntries(routes.map((r, k) => [r, results[k]!])) as Record<RouteName, LoadResult>;
    const sample: SoakSample = {
      atSeconds: Math.round((performance.now() - started) / 1000),
      rssMb: Math.max(...results.map((r) => r.rssMaxMb)),
      rssMaxPerProcessMb: Math.max(...results.map((r) => r.rssMaxPerProcessMb)),
      p99Ms: Math.max(...results.map((r) => r.latencyMs.p99)),
      routes: Object.fromEntries(
        routes.map((r) => [
          r,
          {
            requestsPerSecond: byRoute[r].requestsPerSecond,
            p50: byRoute[r].latencyMs.p50,
            p99: byRoute[r].latencyMs.p99,
            unexpected: byRoute[r].unexpected,
          },
        ]),
      ) as SoakSample['routes'],
    };
    samples.push(sample);
    log(
      `${String(sample.atSeconds).padStart(4)} s  RSS ${sample.rssMb.toFixed(0)} MB (largest process ${sample.rssMaxPerProcessMb.toFixed(0)})  ` +
        `p99 ${routes.map((r) => `${r} ${sample.routes[r].p99}`).join(', ')} ms` +
        (results.some((r) => r.unexpected) ? `  unexpected ${JSON.stringify(results.map((r) => r.statusCounts))}` : ''),
    );
  }
  return {
    meta: meta.finish(),
    options: opts,
    apiProcesses: server.processes,
    capacity,
    mixCapacity,
    targetRate,
    samples,
    verdict: soakVerdict(samples),
  };
}

const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

export function renderSoakSection(r: SoakResult): string {
  const v = r.verdict;
  const lines = ['## Soak', ''];
  lines.push(describeMeta(r.meta));
  lines.push('');
  lines.push(
    `Lectio from \`server/dist\` in its production configuration (${r.apiProcesses} API process${r.apiProcesses === 1 ? '' : 'es'}, one worker, private PostgreSQL and Redis; ` +
      `${r.options.sizes.courses.toLocaleString('en')} courses, ${r.options.sizes.students.toLocaleString('en')} students, ${r.options.sizes.progressRows.toLocaleString('en')} progress rows). ` +
      `Capacity, each route alone for ${r.options.capacitySeconds} s at ${r.options.connections} connections: ` +
      `${Object.entries(r.capacity)
        .map(([k, n]) => `${k} ${Math.round(n)} req/s`)
        .join(', ')}; the mix (${Object.entries(SHARES)
        .map(([k, s]) => `${k} ${s * 100} %`)
        .join(', ')}) at capacity ${Math.round(r.mixCapacity)} req/s. ` +
      `It then ran as an open loop at ${pct(r.options.loadFraction)} of that, **${Math.round(r.targetRate)} req/s**, ` +
      `${r.options.warmupSeconds} s of warm-up and ${r.options.minutes} min in samples of ${r.options.sampleSeconds} s.`,
  );
  lines.push('');
  lines.push(
    '| at s | API RSS MB (all processes) | largest process MB | catalog p99 ms | detail p99 ms | heartbeat p99 ms | grant p99 ms | req/s (all routes) |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.samples) {
    const rps = Object.values(s.routes).reduce((n, x) => n + x.requestsPerSecond, 0);
    lines.push(
      `| ${s.atSeconds} | ${s.rssMb.toFixed(0)} | ${s.rssMaxPerProcessMb.toFixed(0)} | ${s.routes.catalog.p99} | ${s.routes.detail.p99} | ` +
        `${s.routes.heartbeat.p99} | ${s.routes.grant.p99} | ${rps.toFixed(0)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Memory (median of the first and last third of the samples): ${v.rssStartMb.toFixed(0)} → ${v.rssEndMb.toFixed(0)} MB, ` +
      `**${v.memoryGrowth >= 0 ? '+' : ''}${pct(v.memoryGrowth)}** (limit < ${pct(MEMORY_GROWTH_LIMIT)}: ${v.memoryOk ? 'met' : `**missed** by ${pct(v.memoryGrowth - MEMORY_GROWTH_LIMIT)}`}). ` +
      `p99 of the slowest route (worst sample of the first third → best of the last third): ${v.p99StartMs} → ${v.p99EndMs} ms, **${v.p99Ratio.toFixed(2)}×** (against the start or ${P99_FLOOR_MS} ms, whichever is higher; limit ≤ ${P99_GROWTH_LIMIT}×: ` +
      `${v.p99Ok ? 'met' : `**missed** by ${(v.p99Ratio - P99_GROWTH_LIMIT).toFixed(2)}×`}). Unexpected answers: ${v.unexpected}. ` +
      `Verdict: **${v.ok ? 'steady' : 'not steady'}**.`,
  );
  lines.push('');
  lines.push(
    'Raw numbers: [`docs/benchmarks/soak.json`](benchmarks/soak.json). ' +
      `Reproduce: \`npm run bench -- soak ${r.options.ci ? '--ci' : `--minutes ${r.options.minutes}`}\`; CI runs the 30-second version (\`server/test/soak.test.ts\`).`,
  );
  return lines.join('\n');
}

export async function mainSoak(argv: string[]): Promise<void> {
  const opts = parseSoakArgs(argv);
  const log = (line: string) => console.log(`[bench soak] ${line}`);
  const stack = await startSoakStack(opts, log);
  let result: SoakResult;
  try {
    result = await runSoak(stack, opts, ['soak', ...argv], log);
  } finally {
    await stack.stop();
  }
  if (opts.write) {
    writeBenchJson(SOAK_JSON, result);
    const { regenerateReport } = await import('./lib/report.js');
    await regenerateReport(log);
  } else {
    console.log(renderSoakSection(result));
  }
  if (!result.verdict.ok) process.exitCode = 1;
}

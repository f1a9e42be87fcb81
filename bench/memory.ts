/**
 * API process memory under load: `npm run bench -- memory [--duration s] [--connections c] [--smoke] [--no-write]`.
 *
 * The same loads (warm course list, a crawl over every course page, search, a burst of log-ins)
 * against two API processes (`serve --api --processes`) started twice on one private PostgreSQL and
 * Redis, alternating: once as shipped (each process gets `--max-old-space-size` from
 * API_HEAP_LIMIT_MB, see server/src/main/cluster.ts) and once with the heap sized the way V8 sizes
 * it by default on this machine (`NODE_OPTIONS=--max-old-space-size=4096`, which the cluster leaves
 * alone; `--other "<NODE_OPTIONS>"` compares another setting). Reports each process's largest RSS
 * per load and the throughput, so what the memory bound costs in requests is measured with it.
 * Redis is emptied before each server starts, so no variant finds the pages another one cached.
 * Writes docs/benchmarks/memory.json; server/test/memory-bench.test.ts runs it with --smoke.
 */
import { Redis } from 'ioredis';
import os from 'node:os';
import { DEFAULT_API_HEAP_LIMIT_MB } from '../server/src/config.js';
import { migrate } from '../server/src/platform/db/migrate.js';
import { startPrivateRedis } from '../server/test/support/private-services.js';
import { SCENARIOS, settle } from './api/index.js';
import { startTunedPostgres } from './api/postgres.js';
import { openSeedDatabase, seedApiData, type SeedSizes } from './api/seed.js';
import { startLectio } from './api/server.js';
import { parseFlags } from './lib/args.js';
import { runLoad, rssMb } from './lib/load.js';
import { describeMeta, startMeta, writeBenchJson, type BenchMeta } from './lib/meta.js';

const JSON_OUT = new URL('../docs/benchmarks/memory.json', import.meta.url);
const LOADS = ['list_warm', 'detail', 'search', 'login'] as const;
/** What V8 picks on a 64-bit machine with this much memory; set explicitly so the cluster keeps it. */
const UNBOUNDED = '--max-old-space-size=4096';

export interface MemoryBenchOptions {
  durationSeconds: number;
  connections: number;
  /** Times each variant runs (alternating), so drift on a shared machine hits both. */
  rounds: number;
  /** NODE_OPTIONS of the variant compared with the shipped one (default: V8's own size here). */
  other: string;
  sizes: SeedSizes;
  write: boolean;
}

export function parseMemoryArgs(argv: string[]): MemoryBenchOptions {
  const opts: MemoryBenchOptions = {
    durationSeconds: 10,
    connections: 32,
    rounds: 2,
    other: UNBOUNDED,
    sizes: { courses: 10_000, students: 2_000, progressRows: 10_000, pendingOrders: 10 },
    write: true,
  };
  parseFlags(argv, {
    '--duration': (v) => (opts.durationSeconds = v.number()),
    '--connections': (v) => (opts.connections = Math.floor(v.number())),
    '--rounds': (v) => (opts.rounds = Math.floor(v.number())),
    '--other': (v) => (opts.other = v.text() ?? UNBOUNDED),
    '--no-write': () => (opts.write = false),
    '--smoke': () =>
      Object.assign(opts, {
        durationSeconds: 1,
        connections: 4,
        rounds: 1,
        sizes: { courses: 200, students: 100, progressRows: 100, pendingOrders: 10 },
        write: false,
      }),
  });
  return opts;
}

interface LoadMemory {
  load: string;
  requestsPerSecond: number;
  p99Ms: number;
  /** Largest RSS of one API process during the load. */
  rssMaxMb: number;
  unexpected: number;
}

interface VariantRun {
  variant: 'limited' | 'unbounded';
  round: number;
  loads: LoadMemory[];
  /** Largest RSS of one API process once the loads were over (what it keeps). */
  rssAfterMb: number;
}

export interface MemoryBenchResult {
  meta: BenchMeta;
  options: Omit<MemoryBenchOptions, 'write'>;
  heapLimitMb: number;
  runs: VariantRun[];
}

async function runVariant(
  variant: VariantRun['variant'],
  round: number,
  opts: MemoryBenchOptions,
  urls: { databaseUrl: string; redisUrl: string },
  seed: Awaited<ReturnType<typeof seedApiData>>,
  log: (line: string) => void,
): Promise<VariantRun> {
  // Each variant starts with an empty shared cache: the course crawl would otherwise be answered
  // from the pages the previous variant left in Redis.
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushall();
  redis.disconnect();
  const server = await startLectio({
    ...urls,
    processes: 2,
    worker: false,
    env: variant === 'unbounded' ? { NODE_OPTIONS: opts.other } : {},
  });
  try {
    const loads: LoadMemory[] = [];
    for (const name of LOADS) {
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      // Only the parts these four scenarios read; each load gets addresses of its own.
      const ctx = { server, seed, loadNumber: 200 + (round + 1) * 10 + loads.length } as never;
      const pids = server.apiPids();
      await settle(pids);
      const r = await runLoad({
        name,
        url: server.url,
        connections: opts.connections,
        durationSeconds: opts.durationSeconds,
        warmupSeconds: 0,
        pids,
        ...scenario.spec(ctx, opts.connections, 'measure'),
      });
      loads.push({
        load: name,
        requestsPerSecond: r.requestsPerSecond,
        p99Ms: r.latencyMs.p99,
        rssMaxMb: r.rssMaxPerProcessMb,
        unexpected: r.unexpected,
      });
      log(
        `  ${variant.padEnd(9)} ${name.padEnd(9)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  RSS max ${r.rssMaxPerProcessMb.toFixed(0)} MB`,
      );
    }
    const rssAfterMb = Math.max(...server.apiPids().map((pid) => rssMb(pid)));
    return { variant, round, loads, rssAfterMb };
  } finally {
    await server.stop();
  }
}

export async function runMemoryBench(
  opts: MemoryBenchOptions,
  argv: string[],
  log: (line: string) => void = () => undefined,
): Promise<MemoryBenchResult> {
  const run = startMeta(argv);
  const [postgres, redis] = await Promise.all([startTunedPostgres(), startPrivateRedis()]);
  const database = openSeedDatabase(postgres.url);
  try {
    await migrate(database.primary);
    log(`seeding ${opts.sizes.courses} courses, ${opts.sizes.students} students`);
    const seed = await seedApiData(database.primary, opts.sizes, () => undefined);
    const runs: VariantRun[] = [];
    // One unmeasured pass first: the database's buffers (course pages, search documents) warm up on
    // it, so the variant that happens to go first is not charged for a cold cache.
    log('warm-up pass (not measured)');
    await runVariant('limited', -1, opts, { databaseUrl: postgres.url, redisUrl: redis.url }, seed, () => undefined);
    for (let round = 0; round < opts.rounds; round++) {
      // Alternate which goes first, so neither always gets the quieter minute.
      const order: VariantRun['variant'][] = round % 2 ? ['unbounded', 'limited'] : ['limited', 'unbounded'];
      for (const variant of order) {
        runs.push(
          await runVariant(variant, round, opts, { databaseUrl: postgres.url, redisUrl: redis.url }, seed, log),
        );
      }
    }
    const { write: _write, ...options } = opts;
    return { meta: run.finish(), options, heapLimitMb: DEFAULT_API_HEAP_LIMIT_MB, runs };
  } finally {
    await database.close();
    await Promise.allSettled([postgres.server.stop(), redis.stop()]);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function renderMemorySection(r: MemoryBenchResult): string {
  const lines = ['## API process memory', ''];
  lines.push(
    `${describeMeta(r.meta)} Two API processes (\`serve --api --processes 2\`) on a private PostgreSQL and Redis, ` +
      `${r.options.sizes.courses.toLocaleString('en')} courses; each load ${r.options.durationSeconds} s at ` +
      `${r.options.connections} connections, closed loop (the scenarios of the API benchmark of the same names), one ` +
      `after another in one server's life; the two variants alternate, ${r.options.rounds} round(s) each. ` +
      `**limited**: as shipped, each process started with \`--max-old-space-size=${r.heapLimitMb}\` ` +
      `(\`API_HEAP_LIMIT_MB\`). **unbounded**: \`NODE_OPTIONS=${r.options.other}\`${r.options.other === UNBOUNDED ? ', the size V8 picks by itself on this machine' : ''}. ` +
      'RSS is the largest of one API process during the load, from /proc; means over the rounds.',
  );
  lines.push('');
  lines.push(
    '| load | limited req/s | unbounded req/s | req/s ratio | limited RSS max MB | unbounded RSS max MB | RSS ratio |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const of = (variant: VariantRun['variant'], load: string, pick: (l: LoadMemory) => number) =>
    mean(r.runs.filter((x) => x.variant === variant).map((x) => pick(x.loads.find((l) => l.load === load)!)));
  for (const load of LOADS) {
    const [lr, ur] = [
      of('limited', load, (l) => l.requestsPerSecond),
      of('unbounded', load, (l) => l.requestsPerSecond),
    ];
    const [lm, um] = [of('limited', load, (l) => l.rssMaxMb), of('unbounded', load, (l) => l.rssMaxMb)];
    lines.push(
      `| ${load} | ${lr.toFixed(0)} | ${ur.toFixed(0)} | ${(lr / ur).toFixed(2)} | ${lm.toFixed(0)} | ${um.toFixed(0)} | ${(lm / um).toFixed(2)} |`,
    );
  }
  const after = (variant: VariantRun['variant']) =>
    mean(r.runs.filter((x) => x.variant === variant).map((x) => x.rssAfterMb));
  lines.push('');
  lines.push(
    `After the four loads each process kept ${after('limited').toFixed(0)} MB RSS limited and ` +
      `${after('unbounded').toFixed(0)} MB unbounded. The live heap after a full collection was about 60 MB in both: ` +
      'without a limit V8 on a machine with this much memory lets garbage pile up before a full collection, so RSS ' +
      'follows the allocation rate, not what the process needs.',
  );
  lines.push('');
  lines.push(
    'Reproduce: `npm run bench -- memory`; raw numbers: [`docs/benchmarks/memory.json`](benchmarks/memory.json). ' +
      'CI runs the smoke version (`server/test/memory-bench.test.ts`).',
  );
  return lines.join('\n');
}

export async function mainMemory(argv: string[]): Promise<void> {
  const opts = parseMemoryArgs(argv);
  const t0 = performance.now();
  const log = (line: string) => console.log(`[bench memory +${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  log(`${os.availableParallelism()} cores; ${opts.rounds} round(s) of each variant`);
  const result = await runMemoryBench(opts, ['memory', ...argv], log);
  const unexpected = result.runs.flatMap((x) => x.loads).filter((l) => l.unexpected > 0 || l.requestsPerSecond === 0);
  if (opts.write) {
    writeBenchJson(JSON_OUT, result);
    const { regenerateReport } = await import('./lib/report.js');
    await regenerateReport(log);
  } else {
    console.log(renderMemorySection(result));
  }
  if (unexpected.length) {
    log(`unexpected answers, or none at all, in: ${unexpected.map((l) => l.load).join(', ')}`);
    process.exitCode = 1;
  }
}

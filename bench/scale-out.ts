/**
 * The scale-out check: `npm run bench -- scale-out [--duration s] [--connections c[,c]] [--smoke] [--no-write]`.
 *
 * One private PostgreSQL and one private Redis; Lectio from the build in its production
 * configuration, run twice on them:
 *   (a) 1 API process (`serve --api`) + 1 worker process (`serve --worker`);
 *   (b) 2 API processes (`serve --api --processes 2`: node:cluster, one port) + 2 worker processes.
 * Each is loaded with two mixes, two loads at once in each: progress heartbeats from one student's
 * playback sessions (one per connection's worth of requests) beside
 *   - `cached`: three course list pages, answered from the catalog cache;
 *   - `uncached`: list pages never asked for before (category, sort, page size, page), each read
 *     from PostgreSQL, (a) and (b) given disjoint halves of them.
 * The report is the throughput ratio (b) / (a) of each mix, with CPU per request and memory. State
 * lives only in PostgreSQL and Redis, so (b) needs nothing else. Why two mixes: on two cores shared
 * with the load generator, PostgreSQL and Redis, a second API process can only add what the first
 * leaves idle; cached answers leave the cores to the load generator and Redis, uncached ones to
 * PostgreSQL, and the two show which bound a second process meets. The report gives the cores
 * each shape's Lectio processes used beside the ratios.
 *
 * The load client is Debian's wrk (bench/baselines/wrk-load.ts, every status code counted), not
 * autocannon as in the API bench: a second API process can only use the CPU the others leave, and
 * autocannon, a Node process, spends about 0.08 ms of CPU per request it sends, wrk about 0.03
 * (the clients' own CPU time driving the hello-world, 8 s at 32 connections: autocannon 0.88 of a
 * core for 10,500–13,200 req/s, wrk 0.65 for 21,000–22,000). With autocannon the cached mix gave
 * 0.94–1.19× in four runs (docs/benchmarks.md, "Eleventh round"): the client held the second core.
 * Writes docs/benchmarks/scale-out.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { coldListPaths, heartbeatRequests } from './api/index.js';
import { openSeedDatabase, seedApiData } from './api/seed.js';
import { runWrkLoad } from './baselines/wrk-load.js';
import { processTree, type LoadResult } from './lib/load.js';
import { describeMeta, startMeta, writeBenchJson, type BenchMeta } from './lib/meta.js';
import { freePort, startPrivatePostgres, startPrivateRedis } from '../server/test/support/private-services.js';
import { DEFAULT_API_HEAP_LIMIT_MB } from '../server/src/config.js';
import { withHeapLimit } from '../server/src/main/cluster.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = path.join(ROOT, 'server/bin/lectio.js');
const JSON_OUT = new URL('../docs/benchmarks/scale-out.json', import.meta.url);
const PASSWORD = 'bench-password-123';
const LESSON_SECONDS = 3600;

export interface ScaleOutOptions {
  durationSeconds: number;
  connections: number;
  write: boolean;
  smoke: boolean;
}

export function parseScaleOutArgs(argv: string[]): ScaleOutOptions {
  const opts: ScaleOutOptions = { durationSeconds: 10, connections: 32, write: true, smoke: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--duration') opts.durationSeconds = Number(argv[++i]);
    else if (flag === '--connections') opts.connections = Number((argv[++i] ?? '').split(',')[0]);
    else if (flag === '--no-write') opts.write = false;
    else if (flag === '--smoke') Object.assign(opts, { smoke: true, durationSeconds: 2, connections: 4, write: false });
    else throw new Error(`unknown option ${flag}`);
  }
  if (!(opts.durationSeconds > 0) || !(opts.connections >= 2)) throw new Error('--duration > 0, --connections ≥ 2');
  return opts;
}

export interface ShapeResult {
  shape: string;
  apiProcesses: number;
  workerProcesses: number;
  loads: LoadResult[];
  requestsPerSecond: number;
  /** Distinct pages the measured list load cycled through (more requests than these repeat pages). */
  listPages: number;
  /**
   * V8's old-space limit of each process that answers requests (the cluster's primary only forks),
   * read from its command line; null for a process without one.
   */
  apiHeapLimitsMb?: (number | null)[];
}

export type Mix = 'cached' | 'uncached';

export interface MixResult {
  mix: Mix;
  shapes: ShapeResult[];
  /** Requests per second of (b) ÷ (a). */
  throughputRatio: number;
}

export interface ScaleOutResult {
  meta: BenchMeta;
  options: ScaleOutOptions;
  /** API processes: node:cluster (`serve --api --processes n`); workers: separate `serve --worker` processes. */
  how: string;
  /** The load client. */
  client: string;
  /** Published courses in the catalog the uncached pages come from. */
  courses: number;
  mixes: MixResult[];
}

const MIX_LIST: Record<Mix, string> = {
  cached: 'three course list pages, answered from the catalog cache',
  uncached: 'course list pages never asked for before (category, sort, page size, page), each read from PostgreSQL',
};

interface Lectio {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Node's flags for the shape's API command. `--processes n` gives each of its processes the
 * production heap limit (main/cluster.ts, `withHeapLimit`); a lone `serve --api` gets it from the container's
 * entrypoint (deploy/docker/entrypoint.sh), so it gets it here too. Without it V8 sizes the heap
 * from this machine's 24 GiB: shape (a)'s one process reached 334 MB RSS under the uncached load
 * (2026-11-29) and, collecting less often, was compared with two processes that were limited.
 */
function loneApiNodeFlags(apiProcesses: number): string[] {
  return apiProcesses > 1 ? [] : withHeapLimit([], undefined, DEFAULT_API_HEAP_LIMIT_MB);
}

function heapLimitOf(pid: number): number | null {
  const flag = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .find((arg) => arg.startsWith('--max-old-space-size='));
  return flag === undefined ? null : Number(flag.slice('--max-old-space-size='.length));
}

function startLectio(args: string[], env: Record<string, string>, nodeFlags: string[] = []): Lectio {
  let output = '';
  const child = spawn(process.execPath, [...nodeFlags, CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Production logs are on (their cost is part of what is measured); only the tail is kept.
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If the bench dies first, no process of the shape outlives it; the listener goes with the child.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function waitReady(url: string, api: Lectio): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (api.child.exitCode !== null) throw new Error(`the API exited:\n${api.output()}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API did not become ready:\n${api.output()}`);
}

/** One free course of `lessons` hour-long video lessons, the student enrolled, a session per lesson. */
async function seed(databaseUrl: string, studentEmail: string, lessons: number) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const one = async (text: string, values: unknown[] = []) => (await client.query(text, values)).rows[0];
    const student = await one('select id from users where email = $1', [studentEmail]);
    const instructor = await one(
      `insert into users (email, password_hash, display_name, role) values ('so-instructor@bench.example', 'x', 'I', 'instructor') returning id`,
    );
    const video = await one(
      `insert into videos (owner_id, status, original_filename, size_bytes, fingerprint, raw_key, part_size, part_count, version, duration_seconds)
       values ($1, 'ready', 'b.mp4', 1, 'so-bench', 'so/bench', 1, 1, 'v1', $2) returning id`,
      [instructor.id, LESSON_SECONDS],
    );
    const course = await one(
      `insert into courses (instructor_id, slug, title, price_amount, status, published_at)
       values ($1, 'scale-out', 'Scale-out bench', 0, 'published', now()) returning id`,
      [instructor.id],
    );
    const section = await one(
      `insert into course_sections (course_id, title, position) values ($1, 'All', 0) returning id`,
      [course.id],
    );
    await client.query(
      `insert into lessons (course_id, section_id, title, type, position, duration_seconds, video_id)
       select $1, $2, 'Lesson ' || g, 'video', g, $3, $4 from generate_series(1, $5) g`,
      [course.id, section.id, LESSON_SECONDS, video.id, lessons],
    );
    await client.query(`insert into enrollments (user_id, course_id, source) values ($1, $2, 'free')`, [
      student.id,
      course.id,
    ]);
    const sessions = await client.query<{ id: string; lesson_id: string }>(
      `insert into playback_sessions (user_id, course_id, lesson_id, video_id, expires_at)
       select $1, $2, l.id, $3, now() + interval '1 day' from lessons l where l.course_id = $2
       returning id, lesson_id`,
      [student.id, course.id, video.id],
    );
    return sessions.rows;
  } finally {
    await client.end();
  }
}

async function measureShape(
  shape: { name: string; apiProcesses: number; workers: number },
  env: Record<string, string>,
  fixtures: {
    token: string;
    sessions: { id: string; lesson_id: string }[];
    /** The list load's paths, and its warm-up's (undefined: the same ones). */
    listPaths: { warmup?: string[]; measure: string[] };
  },
  opts: ScaleOutOptions,
  log: (line: string) => void,
): Promise<ShapeResult> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const apiArgs = ['serve', '--api', ...(shape.apiProcesses > 1 ? ['--processes', String(shape.apiProcesses)] : [])];
  const api = startLectio(
    apiArgs,
    { ...env, PORT: String(port), PUBLIC_URL: url },
    loneApiNodeFlags(shape.apiProcesses),
  );
  const workers = Array.from({ length: shape.workers }, () => startLectio(['serve', '--worker'], env));
  try {
    await waitReady(url, api);
    const apiPids = processTree(api.child.pid!);
    const pids = [...apiPids, ...workers.flatMap((w) => processTree(w.child.pid!))];
    const apiHeapLimitsMb = (shape.apiProcesses > 1 ? apiPids.slice(1) : apiPids).map(heapLimitOf);
    log(`${shape.name}: ${pids.length} processes, loading for ${opts.durationSeconds} s`);
    const half = Math.max(1, Math.floor(opts.connections / 2));
    // wrk, not autocannon: see the comment at the top. Every status code is counted (statuses).
    const loads = await Promise.all([
      runWrkLoad(
        {
          name: `${shape.name}: GET /api/v1/courses`,
          url,
          connections: half,
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.smoke ? 0 : 2,
          paths: fixtures.listPaths.measure,
          warmupPaths: fixtures.listPaths.warmup,
          pids,
        },
        { statuses: true },
      ),
      runWrkLoad(
        {
          name: `${shape.name}: POST /api/v1/lessons/:id/progress`,
          url,
          connections: opts.connections - half,
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.smoke ? 0 : 2,
          method: 'POST',
          paths: ['/'],
          expectStatus: [202],
          headers: { 'content-type': 'application/json' },
          // The same one-second report again and again: always within the wall-time allowance.
          requestsPerConnection: heartbeatRequests(
            fixtures.sessions
              .slice(0, opts.connections - half)
              .map((s) => ({ token: fixtures.token, ip: '127.0.0.1', lessonId: s.lesson_id, sessionId: s.id })),
          ),
          pids,
        },
        { statuses: true },
      ),
    ]);
    for (const l of loads) {
      if (l.unexpected > 0 || l.errors > 0) {
        throw new Error(
          `${l.name}: ${l.unexpected} unexpected answers, ${l.errors} errors ${JSON.stringify(l.statusCounts)}`,
        );
      }
    }
    return {
      shape: shape.name,
      apiProcesses: shape.apiProcesses,
      workerProcesses: shape.workers,
      loads,
      requestsPerSecond: loads.reduce((sum, l) => sum + l.requestsPerSecond, 0),
      listPages: new Set(fixtures.listPaths.measure).size,
      apiHeapLimitsMb,
    };
  } finally {
    await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
  }
}

export async function runScaleOutBench(
  opts: ScaleOutOptions,
  argv: string[],
  log: (line: string) => void = () => undefined,
): Promise<ScaleOutResult> {
  const run = startMeta(['scale-out', ...argv]);
  const [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-scale-out-'));
  try {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_BACKEND: 'bullmq',
      STORAGE_BACKEND: 'local',
      LECTIO_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SEED_DEMO_DATA: 'false',
      APP_SECRET: 'a'.repeat(40),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'p'.repeat(40),
      PAYMENTS_BACKEND: 'none',
      // One student holds every heartbeat connection; the limit is not what is measured.
      RATE_LIMIT_MAX: '1000000',
    };
    const email = 'so-student@bench.example';
    log('migrating and creating the student');
    const created = spawnSync(process.execPath, [CLI, 'create-user', '--email', email, '--role', 'student'], {
      env: { ...env, PATH: process.env.PATH, HOME: process.env.HOME, LECTIO_PASSWORD: PASSWORD },
      encoding: 'utf8',
    });
    if (created.status !== 0) throw new Error(`create-user failed: ${created.stderr}`);
    // A catalog with categories for the uncached pages (the API bench's generator, small).
    const database = openSeedDatabase(postgres.url);
    let catalog: Awaited<ReturnType<typeof seedApiData>>;
    try {
      const courses = opts.smoke ? 300 : 3_000;
      catalog = await seedApiData(database.db, { courses, students: 10, progressRows: 10, pendingOrders: 1 }, log);
    } finally {
      await database.close();
    }
    const sessions = await seed(postgres.url, email, opts.connections);
    const cold = coldListPaths(catalog);
    const half = Math.floor(cold.length / 2);
    log(`${cold.length.toLocaleString('en')} uncached list pages, half for each shape`);

    // A token from a short-lived API process, so both shapes start from the same state.
    const loginPort = await freePort();
    const loginUrl = `http://127.0.0.1:${loginPort}`;
    const login = startLectio(['serve', '--api'], { ...env, PORT: String(loginPort), PUBLIC_URL: loginUrl });
    let token: string;
    try {
      await waitReady(loginUrl, login);
      const res = await fetch(`${loginUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`log-in failed: ${res.status} ${await res.text()}`);
      token = ((await res.json()) as { accessToken: string }).accessToken;
    } finally {
      await login.stop();
    }

    // Each shape its own half of the uncached pages, a fifth of it for the warm-up: no page is
    // asked for twice in the run, unless a shape gets through all of its share.
    const ownPages = (pages: string[]) => {
      const warmup = Math.floor(pages.length / 5);
      return { warmup: pages.slice(0, warmup), measure: pages.slice(warmup) };
    };
    const listPaths: Record<Mix, { warmup?: string[]; measure: string[] }[]> = {
      cached: [{ measure: CACHED_PAGES }, { measure: CACHED_PAGES }],
      uncached: [ownPages(cold.slice(0, half)), ownPages(cold.slice(half))],
    };
    const mixes: MixResult[] = [];
    for (const mix of ['cached', 'uncached'] as const) {
      const shapes: ShapeResult[] = [];
      for (const [i, shape] of SHAPES.entries()) {
        const fixtures = { token, sessions, listPaths: listPaths[mix][i]! };
        shapes.push(await measureShape({ ...shape, name: `${shape.name}, ${mix}` }, env, fixtures, opts, log));
      }
      mixes.push({ mix, shapes, throughputRatio: shapes[1]!.requestsPerSecond / shapes[0]!.requestsPerSecond });
    }
    return {
      meta: run.finish(),
      options: opts,
      how: 'API: node:cluster (`serve --api --processes 2`, one port); workers: separate `serve --worker` processes',
      client: "Debian's wrk, one process per load, every answer's status code counted",
      courses: catalog.published,
      mixes,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await redis.stop();
    await postgres.destroy();
  }
}

const SHAPES = [
  { name: '(a) 1 API + 1 worker', apiProcesses: 1, workers: 1 },
  { name: '(b) 2 API + 2 workers', apiProcesses: 2, workers: 2 },
];
const CACHED_PAGES = ['/api/v1/courses', '/api/v1/courses?page=2', '/api/v1/courses?sort=popular'];

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Results written before the limits were recorded (2026-11-29) have none and get no sentence. */
function heapLimitSentence(shapes: ShapeResult[]): string {
  const limits = new Set(shapes.flatMap((s) => s.apiHeapLimitsMb ?? []));
  if (limits.size === 0) return '';
  if (limits.size === 1 && !limits.has(null)) {
    return ` Every process that answered requests ran under the production heap limit (\`--max-old-space-size=${[...limits][0]}\`).`;
  }
  return ` Heap limits of the processes that answered requests, MB: ${shapes
    .map((s) => `${s.shape}: ${(s.apiHeapLimitsMb ?? []).map((l) => l ?? 'none').join(', ')}`)
    .join('; ')}.`;
}

export function renderScaleOutSection(r: ScaleOutResult): string {
  const lines = ['## Scale-out', ''];
  lines.push(
    `${describeMeta(r.meta)} One private PostgreSQL and one private Redis; Lectio from the build in its production ` +
      `configuration, run as each shape on them, each loaded for ${r.options.durationSeconds} s with two loads at once ` +
      `(${r.options.connections / 2} connections each): progress heartbeats of a signed-in student's playback sessions, ` +
      `beside one of two course list loads. ${r.how}. Load client: ${r.client}.`,
  );
  lines.push('');
  for (const m of r.mixes) lines.push(`- \`${m.mix}\`: ${MIX_LIST[m.mix]}.`);
  lines.push('');
  lines.push('| shape | load | req/s | p50 ms | p99 ms | CPU ms/req | RSS max of one API process, MB |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const m of r.mixes) {
    for (const shape of m.shapes) {
      for (const load of shape.loads) {
        const route = load.name.slice(load.name.indexOf(': ') + 2);
        lines.push(
          `| ${shape.shape} | \`${route}\` | ${fmt(load.requestsPerSecond)} | ${load.latencyMs.p50} | ${load.latencyMs.p99} | ` +
            `${fmt(load.cpuMsPerRequest, 2)} | ${fmt(load.rssMaxPerProcessMb)} |`,
        );
      }
    }
  }
  lines.push('');
  lines.push(
    "CPU ms/req is the CPU of every Lectio process of the shape during the load, divided by that load's requests: both " +
      "loads of a shape share the processes, so each row carries the other load's work too." +
      heapLimitSentence(r.mixes.flatMap((m) => m.shapes)),
  );
  lines.push('');
  for (const m of r.mixes) {
    lines.push(
      `**${m.mix === 'cached' ? 'Cached' : 'Uncached'} list: two API processes and two workers answered ${fmt(m.throughputRatio, 2)}× ` +
        `the requests per second of one of each** (${m.shapes.map((s) => `${s.shape}: ${fmt(s.requestsPerSecond)} req/s`).join('; ')}).`,
    );
    lines.push('');
  }
  const uncached = r.mixes.find((m) => m.mix === 'uncached');
  const listRequests = (s: ShapeResult) => s.loads[0]?.requests ?? 0;
  lines.push(
    `The uncached pages come from ${fmt(r.courses)} published courses in their categories, (a) and (b) each given its own half ` +
      `of them (${(uncached?.shapes ?? []).map((s) => `${s.shape}: ${fmt(listRequests(s))} list requests over ${fmt(s.listPages)} pages`).join('; ')}; ` +
      'a fifth more of each half went to the warm-up), so every list request read PostgreSQL unless a shape made more requests than it had pages.',
  );
  lines.push('');
  const cores = (s: ShapeResult) => fmt(s.loads[0]?.cpuCores ?? 0, 2);
  lines.push(
    `CPU cores used by Lectio's processes during the load: ${r.mixes
      .map((m) => `${m.mix}: ${m.shapes.map((s) => `${s.shape.split(',')[0]} ${cores(s)}`).join(', ')}`)
      .join('; ')}. ` +
      'The two cores are shared with the load clients, PostgreSQL and Redis, so what a second API process can add is ' +
      'bounded by what the first left idle (in production, other hosts give it cores of its own). Both shapes answered ' +
      'every request as expected (200 for the lists, 202 for the heartbeats; a run with any other answer fails). That the ' +
      'repeatable jobs (progress flush, view-count flush) run once per period with two workers is shown by ' +
      '`server/test/scale-out.test.ts` in CI.',
  );
  lines.push('');
  lines.push(
    'Raw numbers: [`docs/benchmarks/scale-out.json`](benchmarks/scale-out.json). Reproduce: `npm run bench -- scale-out`; ' +
      'CI runs the smoke version (`server/test/scale-out-bench.test.ts`).',
  );
  return lines.join('\n');
}

export async function mainScaleOut(argv: string[]): Promise<void> {
  const opts = parseScaleOutArgs(argv);
  const log = (line: string) => console.log(`[bench] ${line}`);
  const result = await runScaleOutBench(opts, argv, log);
  for (const m of result.mixes) {
    for (const s of m.shapes) log(`${s.shape}: ${s.requestsPerSecond.toFixed(0)} req/s in all`);
    log(`${m.mix}: throughput (b) / (a): ${m.throughputRatio.toFixed(2)}×`);
  }
  if (opts.write) {
    writeBenchJson(JSON_OUT, result);
    const { regenerateReport } = await import('./lib/report.js');
    await regenerateReport(log);
  }
}

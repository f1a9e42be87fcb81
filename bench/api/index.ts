/**
 * The API benchmark (issue 9): `npm run bench -- api [--duration s] [--connections 32,64] [--smoke] [--no-write]`.
 *
 * Starts a private PostgreSQL (tuned, see postgres.ts) and Redis, seeds 10,000 courses, 100,000
 * students, 1,000,000 progress rows (seed.ts), starts Lectio from the build in its production
 * configuration (server.ts), and loads every hot path from a second process (bench/lib/load.ts,
 * autocannon) at each connection count. A Fastify hello-world with as many processes (the
 * framework ceiling, bench/baselines/hello-world.ts) is measured between the scenarios of the same
 * run, so noise from the shared machine weighs on both; every scenario is reported as a ratio to
 * the mean ceiling of its connection count, and against the issue's targets.
 *
 * Writes docs/benchmarks/api.json; the markdown section is generated from it (bench/lib/report.ts).
 * server/test/api-bench.test.ts runs exactly this code with --smoke.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { migrate } from '../../server/src/platform/db/migrate.js';
import { deriveTestWebhookSecret } from '../../server/src/platform/payments/test-gateway.js';
import { startPrivateRedis } from '../../server/test/support/private-services.js';
import { startHelloWorld } from '../baselines/hello-world.js';
import { runWrkLoad, wrkCanSend } from '../baselines/wrk-load.js';
import { runLoad, type LoadResult, type LoadSpec } from '../lib/load.js';
import { describeMeta, startMeta, writeBenchJson, type BenchMeta } from '../lib/meta.js';
import { SERVER_SETTINGS, STATEMENT_STATS_SETTINGS, startTunedPostgres } from './postgres.js';
import {
  BENCH_PASSWORD,
  openSeedDatabase,
  seedApiData,
  studentEmail,
  type SeedSizes,
  type SeededData,
} from './seed.js';
import { startLectio, type LectioServer } from './server.js';
import { sql } from 'drizzle-orm';
import type { Db } from '../../server/src/platform/db/port.js';
import { rowsOf } from '../../server/src/platform/db/rows.js';

export const API_JSON = new URL('../../docs/benchmarks/api.json', import.meta.url);
/** A run with `--client wrk` keeps its own result and section (bench/api-wrk.ts) beside autocannon's. */
export const API_WRK_JSON = new URL('../../docs/benchmarks/api-wrk.json', import.meta.url);

export interface ApiBenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  sizes: SeedSizes;
  smoke: boolean;
  write: boolean;
  /** Only these scenarios (names as in SCENARIOS); all when empty. */
  only: string[];
  /** Each scenario's costliest statements from pg_stat_statements (`--statements`). */
  statements: boolean;
  /**
   * The load client (`--client`): autocannon by default; Debian's wrk, the issue's own client for
   * its Django figures, for every load it can send (see `loadWith`).
   */
  client: LoadClient;
}

export type LoadClient = 'autocannon' | 'wrk';

/**
 * Runs a load with the chosen client. wrk sends a fixed request list (paths, or one request per
 * caller), so the loads with a body per request (log-in, webhook) stay with autocannon.
 */
export function loadWith(client: LoadClient, spec: LoadSpec): Promise<LoadResult & { client: LoadClient }> {
  if (client === 'wrk' && wrkCanSend(spec))
    return runWrkLoad(spec, { statuses: true }).then((r) => ({ ...r, client: 'wrk' as const }));
  return runLoad(spec).then((r) => ({ ...r, client: 'autocannon' as const }));
}

export const FULL_SIZES: SeedSizes = {
  courses: 10_000,
  students: 100_000,
  progressRows: 1_000_000,
  pendingOrders: 50_000,
};
export const SMOKE_SIZES: SeedSizes = { courses: 200, students: 1_000, progressRows: 10_000, pendingOrders: 400 };

export function parseApiArgs(argv: string[]): ApiBenchOptions {
  const opts: ApiBenchOptions = {
    durationSeconds: 10,
    warmupSeconds: 2,
    connections: [32, 64],
    sizes: { ...FULL_SIZES },
    smoke: false,
    write: true,
    only: [],
    statements: false,
    client: 'autocannon',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    const positive = (value: string) => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, not ${value}`);
      return n;
    };
    if (flag === '--duration') opts.durationSeconds = positive(next());
    else if (flag === '--warmup') opts.warmupSeconds = Number(next());
    else if (flag === '--connections')
      opts.connections = next()
        .split(',')
        .map((c) => Math.floor(positive(c)));
    else if (flag === '--courses') opts.sizes.courses = Math.floor(positive(next()));
    else if (flag === '--students') opts.sizes.students = Math.floor(positive(next()));
    else if (flag === '--progress-rows') opts.sizes.progressRows = Math.floor(positive(next()));
    else if (flag === '--only') opts.only = next().split(',');
    else if (flag === '--no-write') opts.write = false;
    else if (flag === '--statements') opts.statements = true;
    else if (flag === '--client') {
      const client = next();
      if (client !== 'autocannon' && client !== 'wrk') throw new Error(`--client is autocannon or wrk, not ${client}`);
      opts.client = client;
    } else if (flag === '--smoke') {
      Object.assign(opts, {
        smoke: true,
        durationSeconds: 1,
        warmupSeconds: 0.3,
        connections: [4],
        sizes: { ...SMOKE_SIZES },
        write: false,
      });
    } else throw new Error(`unknown option ${flag}`);
  }
  opts.sizes.pendingOrders = Math.min(opts.sizes.pendingOrders, opts.sizes.students);
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Targets (issue 9, "Targets")
// ---------------------------------------------------------------------------------------------

export interface TargetCheck {
  scenario: string;
  connections: number;
  target: string;
  value: number;
  limit: number;
  unit: 'share' | 'ms' | 'MB';
  /** null: the measurement cannot decide (search p95 between autocannon's p90 and p99). */
  met: boolean | null;
  /** For a missed target: by how much, in words. */
  missedBy?: string;
}

interface Target {
  /** Requests per second ÷ the ceiling's, at least. */
  ceilingShare?: number;
  /** p99 under this at 64 connections. */
  p99At64Ms?: number;
  /** p95 under this (autocannon reports p90 and p99: p99 below proves it, p90 above disproves it). */
  p95Ms?: number;
}

const TARGETS: Record<string, Target> = {
  list_warm: { ceilingShare: 0.5, p99At64Ms: 20 },
  heartbeat: { ceilingShare: 0.5, p99At64Ms: 20 },
  list_cold: { ceilingShare: 0.1 },
  detail: { ceilingShare: 0.1 },
  grant: { ceilingShare: 0.3 },
  search: { p95Ms: 50 },
};
const RSS_LIMIT_MB = 250;

const pct = (n: number) => `${(n * 100).toFixed(n < 0.1 ? 1 : 0)} %`;

function checkTargets(s: ScenarioResult): TargetCheck[] {
  const t = TARGETS[s.scenario] ?? {};
  const out: TargetCheck[] = [];
  const base = { scenario: s.scenario, connections: s.connections };
  if (t.ceilingShare !== undefined) {
    const met = s.ratioToCeiling >= t.ceilingShare;
    out.push({
      ...base,
      target: `≥ ${pct(t.ceilingShare)} of the hello-world ceiling`,
      value: s.ratioToCeiling,
      limit: t.ceilingShare,
      unit: 'share',
      met,
      missedBy: met
        ? undefined
        : `${pct(s.ratioToCeiling)} instead of ${pct(t.ceilingShare)}: ${(t.ceilingShare / Math.max(s.ratioToCeiling, 1e-9)).toFixed(1)}× short ` +
          `(${Math.round(t.ceilingShare * s.ceilingRps - s.requestsPerSecond)} req/s more needed)`,
    });
  }
  if (t.p99At64Ms !== undefined && s.connections === 64) {
    const met = s.latencyMs.p99 < t.p99At64Ms;
    out.push({
      ...base,
      target: `p99 < ${t.p99At64Ms} ms at 64 connections`,
      value: s.latencyMs.p99,
      limit: t.p99At64Ms,
      unit: 'ms',
      met,
      missedBy: met
        ? undefined
        : `p99 ${s.latencyMs.p99} ms: ${s.latencyMs.p99 - t.p99At64Ms} ms over (${(s.latencyMs.p99 / t.p99At64Ms).toFixed(1)}×)`,
    });
  }
  if (t.p95Ms !== undefined) {
    const met = s.latencyMs.p99 < t.p95Ms ? true : s.latencyMs.p90 >= t.p95Ms ? false : null;
    out.push({
      ...base,
      target: `p95 < ${t.p95Ms} ms`,
      value: s.latencyMs.p99,
      limit: t.p95Ms,
      unit: 'ms',
      met,
      missedBy:
        met === false
          ? `p90 is already ${s.latencyMs.p90} ms: at least ${s.latencyMs.p90 - t.p95Ms} ms over (${(s.latencyMs.p90 / t.p95Ms).toFixed(1)}×)`
          : met === null
            ? `p90 ${s.latencyMs.p90} ms < ${t.p95Ms} ms ≤ p99 ${s.latencyMs.p99} ms`
            : undefined,
    });
  }
  const rssMet = s.rssMaxPerProcessMb < RSS_LIMIT_MB;
  out.push({
    ...base,
    target: `API process RSS < ${RSS_LIMIT_MB} MB`,
    value: s.rssMaxPerProcessMb,
    limit: RSS_LIMIT_MB,
    unit: 'MB',
    met: rssMet,
    missedBy: rssMet ? undefined : `${Math.round(s.rssMaxPerProcessMb - RSS_LIMIT_MB)} MB over`,
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

export interface ScenarioResult extends LoadResult {
  scenario: string;
  /** Absent in results from before `--client`: autocannon. */
  client?: LoadClient;
  /** Mean requests/s of the hello-world runs at this connection count. */
  ceilingRps: number;
  ratioToCeiling: number;
  /** Extra facts a scenario checks (e.g. orders really paid by the webhook run). */
  notes: Record<string, number>;
  /** With `--statements`: the statements PostgreSQL spent most time executing during the run. */
  statements?: StatementCost[];
}

export interface StatementCost {
  calls: number;
  /** Execution time summed over the calls, and per call (planning is not counted). */
  totalMs: number;
  meanMs: number;
  /**
   * Its text with parameters as $n, whitespace collapsed, the outer select list shortened to `…`
   * (a page's statements differ in their FROM and WHERE, not in their twenty columns), cut at 300
   * characters.
   */
  query: string;
  /** Run inside a function (pg_stat_statements.track = all), its time also in the caller's. */
  nested?: boolean;
}

const TOP_STATEMENTS = 10;

/** Forgets what pg_stat_statements counted so far (before a measured run). */
async function resetStatementStats(db: Db): Promise<void> {
  await db.execute(sql`select pg_stat_statements_reset()`);
}

/** The statements of the bench's database that took the most execution time since the reset. */
async function topStatements(db: Db): Promise<StatementCost[]> {
  const rows = rowsOf<{ calls: string | number; total: number; mean: number; query: string; toplevel: boolean }>(
    await db.execute(sql`
      select s.calls, s.total_exec_time as total, s.mean_exec_time as mean, s.toplevel,
             left(regexp_replace(regexp_replace(s.query, '[[:space:]]+', ' ', 'g'),
                                 '^select .*? from ', 'select … from '), 300) as query
      from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = current_database() and s.query not like '%pg_stat_statements%'
      order by s.total_exec_time desc limit ${TOP_STATEMENTS}`),
  );
  return rows.map((r) => ({
    calls: Number(r.calls),
    totalMs: Math.round(Number(r.total) * 10) / 10,
    meanMs: Math.round(Number(r.mean) * 1000) / 1000,
    query: r.query,
    ...(r.toplevel ? {} : { nested: true }),
  }));
}

export interface Callers {
  grant: { token: string; ip: string; lessonId: string }[];
  heartbeat: { token: string; ip: string; lessonId: string; sessionId: string }[];
}

type ConnectionRequests = NonNullable<LoadSpec['requestsPerConnection']>;

/** One playback grant request per caller (a new session each time). */
export function grantRequests(callers: Callers['grant']): ConnectionRequests {
  return callers.map((c) => ({
    path: `/api/v1/lessons/${c.lessonId}/playback`,
    body: '{}',
    headers: { authorization: `Bearer ${c.token}`, 'x-forwarded-for': c.ip },
  }));
}

/** One progress report per caller on its open session, one second watched each time. */
export function heartbeatRequests(callers: Callers['heartbeat']): ConnectionRequests {
  return callers.map((c) => ({
    path: `/api/v1/lessons/${c.lessonId}/progress`,
    body: JSON.stringify({
      sessionId: c.sessionId,
      positionSeconds: 61,
      watched: [[60, 61]],
      playbackRate: 1,
      event: 'tick',
    }),
    headers: { authorization: `Bearer ${c.token}`, 'x-forwarded-for': c.ip },
  }));
}

interface Context {
  server: LectioServer;
  seed: SeededData;
  opts: ApiBenchOptions;
  /** Increments per load, so every load has addresses (rate-limit keys) of its own. */
  loadNumber: number;
  /** Paths never requested before (list_cold) and pending orders (webhook), handed out in slices. */
  coldPaths: string[];
  coldCursor: number;
  orderCursor: number;
  callers?: Callers;
  countPaid(): Promise<number>;
}

type SpecPart = Pick<
  LoadSpec,
  'method' | 'paths' | 'headers' | 'bodies' | 'bodyHeaders' | 'requestsPerConnection' | 'expectStatus'
>;

interface Scenario {
  name: string;
  title: string;
  description: string;
  spec(ctx: Context, connections: number, phase: 'warmup' | 'measure'): SpecPart;
  /** Facts measured around the run (e.g. orders paid). */
  around?(ctx: Context, part: SpecPart): Promise<() => Promise<Record<string, number>>>;
}

/** Deterministic shuffle (mulberry32), so two runs request the same sequence. */
function shuffled<T>(items: T[], seed = 42): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every (category, sort, page size, page) that has courses on it, pages 1–50, shuffled. */
export function coldListPaths(seed: Pick<SeededData, 'categoryCounts'>): string[] {
  const paths: string[] = [];
  for (const { slug, courses } of seed.categoryCounts) {
    for (const sort of ['newest', 'popular', 'rating']) {
      for (let pageSize = 1; pageSize <= 50; pageSize++) {
        const pages = Math.min(50, Math.ceil(courses / pageSize));
        for (let page = 1; page <= pages; page++) {
          paths.push(
            `/api/v1/courses?${slug ? `category=${slug}&` : ''}sort=${sort}&page=${page}&pageSize=${pageSize}`,
          );
        }
      }
    }
  }
  return shuffled(paths);
}

const ipOf = (load: number, i: number) => `10.${load % 250}.${(i >> 8) & 255}.${i & 255}`;
const SEARCH_TERMS = [
  '파이썬',
  '머신러닝',
  '리액트',
  '엑셀',
  '요가',
  'investing',
  'cooking',
  'kubernetes',
  'typescript',
  'photography',
];

/** Which share of the cold paths or orders one load gets: (warm-up + measure) × connection counts. */
function sliceSize(ctx: Context, total: number): number {
  return Math.max(1, Math.floor(total / (2 * ctx.opts.connections.length)));
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'list_warm',
    title: 'Course list, page N, cache warm',
    description:
      '`GET /api/v1/courses?page=5` in 5 variants (3 sorts, 2 categories), all answered from the catalog cache after the warm-up',
    spec: () => ({
      paths: [
        '/api/v1/courses?page=5',
        '/api/v1/courses?page=5&sort=popular',
        '/api/v1/courses?page=5&sort=rating',
        '/api/v1/courses?category=programming&page=5',
        '/api/v1/courses?category=data&page=2',
      ],
    }),
  },
  {
    name: 'list_cold',
    title: 'Course list, cache cold',
    description:
      'every request a (category or none, sort, page size 1–50, page 1–50) combination never requested before in the run, so every one misses the cache (the cache key is exactly those four) and reads PostgreSQL; pages without courses are left out',
    spec: (ctx) => {
      const n = sliceSize(ctx, ctx.coldPaths.length);
      const paths = ctx.coldPaths.slice(ctx.coldCursor, ctx.coldCursor + n);
      ctx.coldCursor += n;
      return { paths };
    },
    around: async (_ctx, part) => {
      const distinctPaths = new Set(part.paths).size;
      return async () => ({ distinctPaths });
    },
  },
  {
    name: 'detail',
    title: 'Course detail',
    description:
      '`GET /api/v1/courses/:slug` over every published course in a shuffled order (the first request of each slug in the run misses the cache, later ones hit it); anonymous',
    spec: (ctx) => ({ paths: ctx.seed.slugs.map((s) => `/api/v1/courses/${s}`) }),
  },
  {
    name: 'search',
    title: 'Search',
    description: `\`GET /api/v1/search?q=…\` cycling through ${SEARCH_TERMS.join(', ')}`,
    spec: () => ({ paths: SEARCH_TERMS.map((t) => `/api/v1/search?q=${encodeURIComponent(t)}`) }),
  },
  {
    name: 'grant',
    title: 'Playback grant',
    description:
      '`POST /api/v1/lessons/:id/playback`, each connection one enrolled student asking for its lesson (a new session each time; beyond 2 the oldest is superseded)',
    spec: (ctx, connections) => ({
      method: 'POST',
      paths: ['/'],
      headers: { 'content-type': 'application/json' },
      requestsPerConnection: grantRequests(ctx.callers!.grant.slice(0, connections)),
    }),
  },
  {
    name: 'heartbeat',
    title: 'Progress report (heartbeat)',
    description:
      '`POST /api/v1/lessons/:id/progress`, each connection one student with its own open playback session, reporting one second watched each time',
    spec: (ctx, connections) => ({
      method: 'POST',
      paths: ['/'],
      headers: { 'content-type': 'application/json' },
      expectStatus: [202],
      requestsPerConnection: heartbeatRequests(ctx.callers!.heartbeat.slice(0, connections)),
    }),
  },
  {
    name: 'login',
    title: 'Log-in (Argon2)',
    description:
      '`POST /api/v1/auth/login` with the right password, cycling through up to 2,000 students, each from its own address (the per-address log-in limit is 30 a minute); Argon2 is meant to be slow and is not tuned here',
    spec: (ctx) => {
      const n = Math.min(2_000, ctx.seed.sizes.students);
      const load = ctx.loadNumber;
      return {
        method: 'POST',
        paths: ['/api/v1/auth/login'],
        headers: { 'content-type': 'application/json' },
        bodies: Array.from({ length: n }, (_, i) =>
          JSON.stringify({ email: studentEmail(i), password: BENCH_PASSWORD }),
        ),
        bodyHeaders: Array.from({ length: n }, (_, i) => ({ 'x-forwarded-for': ipOf(load, i) })),
      };
    },
  },
  {
    name: 'webhook',
    title: 'Payment webhook intake',
    description:
      '`POST /api/v1/payments/webhooks/stripe`, each a `checkout.session.completed` event with its own id for a pending order seeded for it, signed like the test gateway signs (Stripe-Signature, HMAC-SHA256 over the raw body): the order becomes paid and the student enrolled',
    spec: (ctx) => {
      const n = sliceSize(ctx, ctx.seed.orders.length);
      const orders = ctx.seed.orders.slice(ctx.orderCursor, ctx.orderCursor + n);
      ctx.orderCursor += n;
      const secret = deriveTestWebhookSecret(ctx.server.appSecret);
      const created = Math.floor(Date.now() / 1000);
      const bodies = orders.map((o) =>
        JSON.stringify({
          id: `evt_bench_${o.sessionId}`,
          object: 'event',
          type: 'checkout.session.completed',
          created,
          data: {
            object: {
              id: o.sessionId,
              object: 'checkout.session',
              client_reference_id: o.id,
              metadata: { order_id: o.id },
              payment_status: 'paid',
              payment_intent: `pi_${o.sessionId}`,
              amount_total: o.amount,
              currency: o.currency.toLowerCase(),
            },
          },
        }),
      );
      return {
        method: 'POST',
        paths: ['/api/v1/payments/webhooks/stripe'],
        headers: { 'content-type': 'application/json' },
        bodies,
        // Stripe's scheme, as Stripe.webhooks.generateTestHeaderString makes it.
        bodyHeaders: bodies.map((b) => ({
          'stripe-signature': `t=${created},v1=${createHmac('sha256', secret).update(`${created}.${b}`).digest('hex')}`,
        })),
      };
    },
    around: async (ctx) => {
      const before = await ctx.countPaid();
      return async () => ({ ordersPaid: (await ctx.countPaid()) - before });
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

export interface ApiBenchResult {
  meta: BenchMeta;
  options: ApiBenchOptions;
  setup: {
    apiProcesses: number;
    clusterFlag: boolean;
    worker: boolean;
    benchEnv: Record<string, string>;
    postgres: { version: string; settings: Record<string, string> };
    redis: string;
  };
  seed: Omit<SeededData, 'slugs' | 'orders' | 'studentLesson' | 'categoryCounts'> & { coldPaths: number };
  ceiling: { connections: number; runs: LoadResult[]; meanRps: number }[];
  /**
   * The hello-world answering a body as large as the warm list's, measured right after it (absent
   * in results from before it was added, or when list_warm did not run).
   */
  sizedCeiling?: { connections: number; bytesPerAnswer: number; run: LoadResult }[];
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  scenarioInfo: { name: string; title: string; description: string }[];
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Waits until the API is idle (under a tenth of a core for a quarter second, at most 20 s): the
 * requests of a run that were still in flight when its client stopped (a log-in takes seconds
 * under load) must not eat into the next run.
 */
export async function settle(pids: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const before = pids.reduce((n, pid) => n + cpuTicks(pid), 0);
    await new Promise((r) => setTimeout(r, 250));
    const used = pids.reduce((n, pid) => n + cpuTicks(pid), 0) - before; // 1/100 s ticks
    if (used / 100 / 0.25 < 0.1) return;
  }
}

async function signIn(url: string, email: string, ip: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`log-in of ${email} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Fresh tokens (they live 15 minutes) for the grant and heartbeat callers, and open sessions. */
function prepareCallers(ctx: Context, connections: number): Promise<Callers> {
  return openCallers(ctx.server.url, ctx.seed, connections, ++ctx.loadNumber);
}

/**
 * `connections` grant callers (students 0…) and as many heartbeat callers (students from the
 * middle of the range, so grants never supersede their sessions), signed in through the API from
 * addresses of load number `load`, each heartbeat caller with a playback session opened by a grant.
 */
export async function openCallers(url: string, seed: SeededData, connections: number, load: number): Promise<Callers> {
  const grant: Callers['grant'] = [];
  const heartbeat: Callers['heartbeat'] = [];
  const students = seed.sizes.students;
  for (let i = 0; i < connections; i++) {
    const g = await seed.studentLesson(i % students);
    const ip = ipOf(load, i);
    grant.push({ token: await signIn(url, g.email, ip), ip, lessonId: g.lessonId });
    // Heartbeat callers are other students, so the grant scenario never supersedes their sessions.
    const h = await seed.studentLesson((Math.floor(students / 2) + i) % students);
    const hip = ipOf(load, 1000 + i);
    const token = await signIn(url, h.email, hip);
    const res = await fetch(`${url}/api/v1/lessons/${h.lessonId}/playback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-forwarded-for': hip },
      body: '{}',
    });
    if (res.status !== 200) throw new Error(`playback grant for ${h.email} failed: ${res.status} ${await res.text()}`);
    const { sessionId } = (await res.json()) as { sessionId: string };
    heartbeat.push({ token, ip: hip, lessonId: h.lessonId, sessionId });
  }
  return { grant, heartbeat };
}

export async function runApiBench(
  opts: ApiBenchOptions,
  argv: string[],
  log: (line: string) => void = () => undefined,
): Promise<ApiBenchResult> {
  const run = startMeta(argv);
  log('starting a private PostgreSQL (tuned) and Redis');
  const [postgres, redis] = await Promise.all([
    startTunedPostgres('lectio_bench', opts.statements ? STATEMENT_STATS_SETTINGS : {}),
    startPrivateRedis(),
  ]);
  let server: LectioServer | undefined;
  let hello: Awaited<ReturnType<typeof startHelloWorld>> | undefined;
  const database = openSeedDatabase(postgres.url);
  try {
    const db = database.primary;
    await migrate(db);
    if (opts.statements) {
      await db.execute(sql`create extension if not exists pg_stat_statements`);
      // The statements inside functions too (the grant's per-session work runs in PL/pgSQL). Only
      // settable once the library is loaded, hence here rather than with the server's settings.
      await db.execute(sql`alter system set pg_stat_statements.track = 'all'`);
      await db.execute(sql`select pg_reload_conf()`);
    }
    const seed = await seedApiData(db, opts.sizes, log);
    const [version] = rowsOf<{ v: string }>(await db.execute(sql`select split_part(version(), ' on ', 1) as v`));
    const cores = os.availableParallelism();
    log(`starting Lectio from server/dist (${cores} API processes wanted, one worker)`);
    server = await startLectio({ databaseUrl: postgres.url, redisUrl: redis.url, processes: cores, worker: true });
    if (!server.clusterFlag) log('this build has no `serve --processes`: one API process');
    hello = await startHelloWorld(server.processes);
    const ctx: Context = {
      server,
      seed,
      opts,
      loadNumber: 0,
      coldPaths: coldListPaths(seed),
      coldCursor: 0,
      orderCursor: 0,
      async countPaid() {
        const [row] = rowsOf<{ n: string | number }>(
          await db.execute(sql`select count(*) as n from orders where status = 'paid'`),
        );
        return Number(row?.n ?? 0);
      },
    };
    const scenarios = SCENARIOS.filter((s) => !opts.only.length || opts.only.includes(s.name));
    const ceiling: ApiBenchResult['ceiling'] = [];
    const sizedCeiling: NonNullable<ApiBenchResult['sizedCeiling']> = [];
    const measured: Omit<ScenarioResult, 'ceilingRps' | 'ratioToCeiling'>[] = [];
    const apiPids = () => server!.apiPids();

    for (const connections of opts.connections) {
      log(`— ${connections} connections —`);
      ctx.callers = await prepareCallers(ctx, connections);
      const ceilingRuns: LoadResult[] = [];
      const measureCeiling = async () => {
        await settle(apiPids());
        const spec: LoadSpec = {
          name: 'hello_world',
          url: hello!.url,
          connections,
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.warmupSeconds,
          paths: ['/'],
          pids: hello!.pids(),
        };
        const r = await loadWith(opts.client, spec);
        log(`  ceiling     ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${r.latencyMs.p99} ms`);
        ceilingRuns.push(r);
      };
      /**
       * The hello-world answering as many bytes per answer (headers included) as `like` did: its
       * body is the list page's size less the hello-world's own headers.
       */
      const measureSizedCeiling = async (like: LoadResult, helloRun: LoadResult) => {
        const perAnswer = (x: LoadResult) => x.bytesPerSecond / Math.max(1, x.requestsPerSecond);
        const helloHeaders = perAnswer(helloRun) - JSON.stringify({ hello: 'world' }).length;
        const body = Math.max(12, Math.round(perAnswer(like) - helloHeaders));
        await settle(apiPids());
        const run = await loadWith(opts.client, {
          name: 'hello_world_sized',
          url: hello!.url,
          connections,
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.warmupSeconds,
          paths: [`/bytes/${body}`],
          pids: hello!.pids(),
        });
        log(
          `  same-size ceiling ${run.requestsPerSecond.toFixed(0)} req/s  (${Math.round(perAnswer(run))} bytes per answer)`,
        );
        return { connections, bytesPerAnswer: Math.round(perAnswer(run)), run };
      };
      // The ceiling before, between every three scenarios, and after.
      await measureCeiling();
      for (const [k, scenario] of scenarios.entries()) {
        const base = { url: server.url, connections, pids: apiPids() };
        await settle(base.pids);
        if (opts.warmupSeconds > 0) {
          ctx.loadNumber++;
          await loadWith(opts.client, {
            ...base,
            name: `${scenario.name} warm-up`,
            durationSeconds: opts.warmupSeconds,
            ...scenario.spec(ctx, connections, 'warmup'),
          });
        }
        ctx.loadNumber++;
        await settle(base.pids);
        const part = scenario.spec(ctx, connections, 'measure');
        const after = scenario.around ? await scenario.around(ctx, part) : undefined;
        if (opts.statements) await resetStatementStats(db);
        const r = await loadWith(opts.client, {
          ...base,
          pids: apiPids(),
          name: scenario.name,
          durationSeconds: opts.durationSeconds,
          ...part,
        });
        const notes = after ? await after() : {};
        log(
          `  ${scenario.name.padEnd(11)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  ` +
            `${r.cpuMsPerRequest.toFixed(2)} CPU ms/req  RSS ${r.rssMaxPerProcessMb.toFixed(0)} MB  unexpected ${r.unexpected}` +
            (Object.keys(notes).length ? `  ${JSON.stringify(notes)}` : ''),
        );
        if (r.unexpected > 0) log(`    statuses: ${JSON.stringify(r.statusCounts)}`);
        const statements = opts.statements ? await topStatements(db) : undefined;
        for (const st of statements ?? []) {
          log(
            `    pg ${String(st.calls).padStart(7)} calls ${st.meanMs.toFixed(3).padStart(8)} ms each  ${st.nested ? '↳ ' : ''}${st.query.slice(0, 120)}`,
          );
        }
        measured.push({ ...r, scenario: scenario.name, notes, ...(statements ? { statements } : {}) });
        if (scenario.name === 'list_warm' && r.requests > 0 && ceilingRuns.length > 0) {
          sizedCeiling.push(await measureSizedCeiling(r, ceilingRuns[ceilingRuns.length - 1]!));
        }
        if ((k + 1) % 3 === 0 || k === scenarios.length - 1) await measureCeiling();
      }
      const meanRps = ceilingRuns.reduce((n, r) => n + r.requestsPerSecond, 0) / ceilingRuns.length;
      ceiling.push({ connections, runs: ceilingRuns, meanRps });
    }

    const results: ScenarioResult[] = measured.map((m) => {
      const c = ceiling.find((x) => x.connections === m.connections)!;
      return { ...m, ceilingRps: c.meanRps, ratioToCeiling: m.requestsPerSecond / c.meanRps };
    });
    const {
      slugs: _slugs,
      orders: _orders,
      studentLesson: _studentLesson,
      categoryCounts: _counts,
      ...seedFacts
    } = seed;
    return {
      meta: run.finish(),
      options: opts,
      setup: {
        apiProcesses: server.processes,
        clusterFlag: server.clusterFlag,
        worker: true,
        benchEnv: server.benchEnv,
        postgres: {
          version: version?.v ?? 'PostgreSQL',
          settings: { ...SERVER_SETTINGS, ...(opts.statements ? STATEMENT_STATS_SETTINGS : {}) },
        },
        redis: 'Redis (private, no persistence)',
      },
      seed: { ...seedFacts, coldPaths: ctx.coldPaths.length },
      ceiling,
      sizedCeiling,
      scenarios: results,
      targets: results.flatMap(checkTargets),
      scenarioInfo: scenarios.map(({ name, title, description }) => ({ name, title, description })),
    };
  } finally {
    await hello?.stop();
    await server?.stop();
    await database.close();
    await redis.stop();
    await postgres.server.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function clientText(r: ApiBenchResult): string {
  if ((r.options.client ?? 'autocannon') === 'autocannon') return 'autocannon, in its own process';
  const others = [...new Set(r.scenarios.filter((s) => s.client !== 'wrk').map((s) => s.scenario))];
  return (
    "Debian's wrk, in its own process, every answer's status code counted, for the ceiling and every scenario" +
    (others.length
      ? ` but ${others.map((n) => `\`${n}\``).join(' and ')}, which send a body of their own per request and stay with autocannon`
      : '') +
    '; wrk cycles the one-request-per-caller loads (grant, heartbeat) over its connections instead of binding a caller to each'
  );
}

export function renderApiSection(r: ApiBenchResult): string {
  const lines: string[] = ['## API hot paths', ''];
  const wrk = r.options.client === 'wrk';
  const json = wrk ? 'api-wrk.json' : 'api.json';
  lines.push(
    `${describeMeta(r.meta)} The load generator (${clientText(r)}), the API, its worker, PostgreSQL and Redis ` +
      'share the machine, so compare the ratios rather than the absolute numbers.',
  );
  lines.push('');
  const env = Object.entries(r.setup.benchEnv)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(', ');
  lines.push(
    `Lectio from \`server/dist\` in its production configuration (\`NODE_ENV=production\`, \`LOG_LEVEL=info\` with logs written to a file, ` +
      `\`QUEUE_BACKEND=bullmq\`, local storage): ${r.setup.apiProcesses} API process${r.setup.apiProcesses === 1 ? '' : 'es'} ` +
      `(${r.setup.clusterFlag ? '`serve --api --processes`' : 'this build had no `--processes`, so one'}) and one \`serve --worker\`, ` +
      `on a private ${r.setup.postgres.version} (${Object.entries(r.setup.postgres.settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}, fsync off) and a private Redis. ` +
      `Set for the bench only: ${env} (the global limit is per client address and would otherwise answer 429 within seconds; ` +
      'every caller sends its own `X-Forwarded-For` address, so per-address limits such as log-in’s 30 a minute hold as for real clients).',
  );
  lines.push('');
  const s = r.seed;
  lines.push(
    `Data: ${fmt(s.sizes.courses)} generated courses (${fmt(s.published)} published, Korean and English, search documents built by the real indexer), ` +
      `${fmt(s.lessons)} video lessons, ${fmt(s.sizes.students)} students sharing one Argon2 hash made by the app's hasher, ` +
      `${fmt(s.enrollments)} enrollments, ${fmt(s.progressRows)} lesson_progress rows, ` +
      (s.playbackSessions === undefined ? '' : `${fmt(s.playbackSessions)} ended playback sessions, `) +
      `${fmt(s.pendingOrders)} pending orders. ` +
      `Seeding took ${fmt(s.seconds.catalog + s.seconds.hash + s.seconds.rest, 1)} s (catalog and search documents ${fmt(s.seconds.catalog, 1)} s).`,
  );
  lines.push('');
  lines.push(
    `Each scenario: ${r.options.warmupSeconds} s warm-up (unmeasured), then ${r.options.durationSeconds} s at each connection count, closed loop over keep-alive HTTP/1.1. ` +
      'The ceiling is a Fastify hello-world with as many processes (`bench/baselines/hello-world.ts`), measured before, between every three scenarios and after, ' +
      'at the same connection count; "÷ ceiling" divides by the mean of those runs. On a machine shared with other work each server gets ' +
      'whatever CPU the others leave it, so the CPU each spends per request is the steadier measure: "ceiling CPU/req ÷ CPU/req" is the share ' +
      'of the ceiling a CPU-bound run would reach (it leaves out the CPU of PostgreSQL, Redis and the worker, so it is an upper bound). CPU is the API processes’ user + system time per answered request ' +
      '(the worker, PostgreSQL and Redis are not counted); RSS is the largest API process.',
  );
  lines.push('');
  for (const c of r.ceiling) {
    lines.push(`### ${c.connections} connections`);
    lines.push('');
    lines.push(
      '| scenario | requests | req/s | p50 ms | p90 ms | p99 ms | CPU ms/req | CPU cores | RSS max MB (one process / all) | ÷ ceiling | ceiling CPU/req ÷ CPU/req | unexpected answers |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const ceilingCpu = c.runs.reduce((n, x) => n + x.cpuMsPerRequest, 0) / Math.max(1, c.runs.length);
    for (const x of r.scenarios.filter((y) => y.connections === c.connections)) {
      const title = r.scenarioInfo.find((i) => i.name === x.scenario)?.title ?? x.scenario;
      lines.push(
        `| ${title} | ${fmt(x.requests)} | ${fmt(x.requestsPerSecond)} | ${x.latencyMs.p50} | ${x.latencyMs.p90} | ${x.latencyMs.p99} | ` +
          `${fmt(x.cpuMsPerRequest, 2)} | ${fmt(x.cpuCores, 2)} | ${fmt(x.rssMaxPerProcessMb)} / ${fmt(x.rssMaxMb)} | ${fmt(x.ratioToCeiling * 100, 1)} % | ` +
          `${x.cpuMsPerRequest > 0 ? `${fmt((ceilingCpu / x.cpuMsPerRequest) * 100, 1)} %` : '—'} | ` +
          `${x.requests === 0 ? '**no answer within the run** ' : ''}${x.unexpected}${
            x.unexpected
              ? ` (${Object.entries(x.statusCounts)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')})`
              : ''
          } |`,
      );
    }
    const runs = c.runs.map((x) => fmt(x.requestsPerSecond)).join(', ');
    lines.push(
      `| **hello-world ceiling** (mean of ${c.runs.length} runs: ${runs}) | | **${fmt(c.meanRps)}** | ${c.runs[0]?.latencyMs.p50 ?? ''} | ${c.runs[0]?.latencyMs.p90 ?? ''} | ${c.runs[0]?.latencyMs.p99 ?? ''} | ` +
        `${fmt(ceilingCpu, 3)} | | | 100 % | 100 % | ${c.runs.reduce((n, x) => n + x.unexpected, 0)} |`,
    );
    const sized = r.sizedCeiling?.find((x) => x.connections === c.connections);
    const warm = r.scenarios.find((x) => x.connections === c.connections && x.scenario === 'list_warm');
    if (sized) {
      const x = sized.run;
      lines.push(
        `| **same-size ceiling** (the hello-world answering ${fmt(sized.bytesPerAnswer)} bytes, as the warm list does) | ${fmt(x.requests)} | **${fmt(x.requestsPerSecond)}** | ` +
          `${x.latencyMs.p50} | ${x.latencyMs.p90} | ${x.latencyMs.p99} | ${fmt(x.cpuMsPerRequest, 3)} | | | ${fmt((x.requestsPerSecond / c.meanRps) * 100, 1)} % | | ${x.unexpected} |`,
      );
      lines.push('');
      if (warm)
        lines.push(
          `Answers as large as a page of the course list cap the hello-world itself at ${fmt((x.requestsPerSecond / c.meanRps) * 100, 1)} % of its ` +
            `ceiling at ${c.connections} connections; the warm list reached ${fmt((warm.requestsPerSecond / x.requestsPerSecond) * 100, 1)} % of that same-size ceiling.`,
        );
    }
    lines.push('');
  }
  const notes = r.scenarios.filter((x) => Object.keys(x.notes).length);
  if (notes.length) {
    lines.push(
      notes
        .map((x) =>
          x.scenario === 'webhook'
            ? `Webhook at ${x.connections} connections: ${fmt(x.notes.ordersPaid ?? 0)} orders became paid while ${fmt(x.requests)} answers were counted (requests still in flight at the end are processed but not counted)` +
              (x.requests > (x.notes.ordersPaid ?? 0)
                ? `; ${fmt(x.requests - (x.notes.ordersPaid ?? 0))} answers were redeliveries of events already applied (\`duplicate: true\`: the seeded orders ran out).`
                : '.')
            : x.scenario === 'list_cold'
              ? `Cold list at ${x.connections} connections: ${fmt(x.requests)} requests over ${fmt(x.notes.distinctPaths ?? 0)} never-requested combinations${x.requests > (x.notes.distinctPaths ?? 0) ? ' (more requests than combinations: the rest repeated and hit the cache)' : ''}.`
              : `${x.scenario} at ${x.connections}: ${JSON.stringify(x.notes)}`,
        )
        .join(' '),
    );
    lines.push('');
  }
  lines.push('### Targets (issue 9)');
  lines.push('');
  lines.push('| scenario | connections | target | measured | verdict |');
  lines.push('|---|---:|---|---:|---|');
  for (const t of r.targets) {
    const value = t.unit === 'share' ? pct(t.value) : t.unit === 'ms' ? `${t.value} ms (p99)` : `${fmt(t.value)} MB`;
    const verdict = t.met === true ? 'met' : t.met === false ? `**missed**: ${t.missedBy}` : `undecided: ${t.missedBy}`;
    lines.push(`| ${t.scenario} | ${t.connections} | ${t.target} | ${value} | ${verdict} |`);
  }
  lines.push('');
  lines.push('Scenarios:');
  lines.push('');
  for (const i of r.scenarioInfo) lines.push(`- **${i.title}** (\`${i.name}\`): ${i.description}.`);
  lines.push('');
  lines.push(
    `Raw numbers: [\`docs/benchmarks/${json}\`](benchmarks/${json}). ` +
      `Reproduce: \`npm run bench -- api --duration ${r.options.durationSeconds} --connections ${r.options.connections.join(',')}${wrk ? ' --client wrk' : ''}\`; ` +
      'CI runs the smoke version (`server/test/api-bench.test.ts`: 200 courses, 1,000 students, 10,000 progress rows, 1 s per scenario, 4 connections).',
  );
  return lines.join('\n');
}

export async function mainApi(argv: string[]): Promise<void> {
  const opts = parseApiArgs(argv);
  const t0 = performance.now();
  const log = (line: string) => console.log(`[bench api +${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const result = await runApiBench(opts, ['api', ...argv], log);
  const missed = result.targets.filter((t) => t.met === false);
  for (const t of missed) log(`target missed: ${t.scenario} @${t.connections}: ${t.target}: ${t.missedBy}`);
  const unexpected = result.scenarios.filter((s) => s.unexpected > 0 || s.requests === 0);
  if (opts.write) {
    const json = opts.client === 'wrk' ? API_WRK_JSON : API_JSON;
    writeBenchJson(json, result);
    const { regenerateReport } = await import('../lib/report.js');
    await regenerateReport(log);
    log(`wrote ${json.pathname} and docs/benchmarks.md`);
  } else {
    console.log(renderApiSection(result));
  }
  if (unexpected.length) {
    log(
      `unexpected answers, or none at all, in: ${unexpected.map((s) => `${s.scenario}@${s.connections}`).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

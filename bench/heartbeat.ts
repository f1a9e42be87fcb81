/**
 * The progress heartbeat benchmark: `npm run bench -- heartbeat [--duration s] [--connections c]
 * [--flush-entries N] [--smoke] [--no-write]`.
 *
 * Starts Lectio's API (no worker, so no flush runs by itself) on a private PostgreSQL and a private
 * Redis, then measures with a small closed-loop HTTP client (keep-alive, `connections` callers,
 * each one signed-in student with its own playback session):
 *   1. `GET /health/live` — the HTTP stack alone;
 *   2. `GET /api/v1/me` — an authenticated route that reads one row by primary key;
 *   3. `POST /api/v1/lessons/:id/progress` — the heartbeat (auth + cache buffer, no database).
 * Ratios compare the heartbeat with both baselines measured in the same run. Then it fills the
 * buffer with `--flush-entries` changed (user, lesson) entries through the progress service itself
 * and times one flush of all of them into lesson_progress.
 *
 * Writes docs/benchmarks/heartbeat.json and the "Progress heartbeats" section of docs/benchmarks.md.
 * Used by server/test/heartbeat-bench.test.ts with --smoke, so CI runs exactly this code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import type { Db } from '../server/src/platform/db/port.js';
import { rowsOf } from '../server/src/platform/db/rows.js';
import { FLUSH_BATCH_SIZE } from '../server/src/modules/progress/service.js';
import { startPrivatePostgres, startPrivateRedis } from '../server/test/support/private-services.js';
import { startTestServer, type TestServer } from '../server/test/support/servers.js';
import { parseFlags } from './lib/args.js';
import { startMeta, type BenchMeta } from './lib/meta.js';

const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const JSON_OUT = new URL('../docs/benchmarks/heartbeat.json', import.meta.url);
const START = '<!-- heartbeat-bench:start -->';
const END = '<!-- heartbeat-bench:end -->';
const PASSWORD = 'bench-password-123';
/** The benchmark's lessons are long, so a report's range never runs past the end. */
const LESSON_SECONDS = 3600;

export interface HeartbeatBenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The measured time of each route is split into this many interleaved slices. */
  rounds: number;
  flushEntries: number;
  write: boolean;
  smoke: boolean;
}

export function parseHeartbeatArgs(argv: string[]): HeartbeatBenchOptions {
  const opts: HeartbeatBenchOptions = {
    durationSeconds: 15,
    warmupSeconds: 2,
    connections: 32,
    rounds: 5,
    flushEntries: 100_000,
    write: true,
    smoke: false,
  };
  parseFlags(argv, {
    '--duration': (v) => (opts.durationSeconds = v.number()),
    '--connections': (v) => (opts.connections = Math.floor(v.number())),
    '--flush-entries': (v) => (opts.flushEntries = Math.floor(v.number())),
    '--no-write': () => (opts.write = false),
    '--smoke': () =>
      Object.assign(opts, {
        smoke: true,
        durationSeconds: 1,
        warmupSeconds: 0.3,
        connections: 4,
        rounds: 1,
        flushEntries: 2_000,
        write: false,
      }),
  });
  return opts;
}

export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface HeartbeatBenchResult {
  /** Commit, command and machine of a written run (`npm run bench -- heartbeat`); absent in a smoke run. */
  meta?: BenchMeta;
  options: HeartbeatBenchOptions;
  machine: ReturnType<typeof machine>;
  loads: LoadResult[];
  heartbeat: {
    rpsVsLive: number;
    rpsVsMe: number;
    p99VsLive: number;
    p99VsMe: number;
    /** lesson_progress rows written while heartbeats ran (must be 0). */
    databaseRowsDuringLoad: number;
  };
  flush: {
    entries: number;
    seedSeconds: number;
    flushSeconds: number;
    entriesPerSecond: number;
    batches: number;
    rowsAfter: number;
    /** The same entries reported again and flushed: every row an update merging its stored intervals. */
    updateSeconds: number;
    updateEntriesPerSecond: number;
  };
}

interface Caller {
  token: string;
  ip: string;
  sessionId: string;
  lessonId: string;
  position: number;
}

/** A sorted copy's q-quantile (nearest rank). */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Route {
  name: string;
  expectStatus: number;
  request: (caller: Caller) => { method: string; path: string; body?: string; auth: boolean };
}

/**
 * Closed loop: each caller sends its next request as soon as the previous one answered. The
 * routes are measured in interleaved rounds (A B C, B C A, C A B, ...), so a burst of other work
 * on the machine weighs on every route alike instead of on whichever ran at that moment.
 * Latency per request in ms, from sending to the end of the response body.
 */
async function measureRoutes(
  baseUrl: string,
  callers: Caller[],
  routes: Route[],
  opts: { warmupSeconds: number; durationSeconds: number; rounds: number },
): Promise<LoadResult[]> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: callers.length });
  const send = (route: Route, caller: Caller) =>
    new Promise<number>((resolve, reject) => {
      const r = route.request(caller);
      const headers: Record<string, string> = { 'x-forwarded-for': caller.ip };
      if (r.auth) headers.authorization = `Bearer ${caller.token}`;
      if (r.body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(r.body));
      }
      const req = http.request(
        { host: url.hostname, port: url.port, path: r.path, method: r.method, agent, headers },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });
  const run = async (route: Route, seconds: number, latencies: number[] | undefined) => {
    let errors = 0;
    let firstError = '';
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      callers.map(async (caller) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const status = await send(route, caller);
          const ms = performance.now() - t0;
          if (status !== route.expectStatus) {
            errors++;
            firstError ||= `HTTP ${status}`;
          } else latencies?.push(ms);
        }
      }),
    );
    if (errors > 0) throw new Error(`${route.name}: ${errors} requests failed (first: ${firstError})`);
    return (performance.now() - started) / 1000;
  };
  try {
    const samples = routes.map(() => ({ latencies: [] as number[], seconds: 0 }));
    if (opts.warmupSeconds > 0) for (const route of routes) await run(route, opts.warmupSeconds, undefined);
    const slice = opts.durationSeconds / opts.rounds;
    for (let round = 0; round < opts.rounds; round++) {
      for (let k = 0; k < routes.length; k++) {
        const i = (round + k) % routes.length;
        samples[i]!.seconds += await run(routes[i]!, slice, samples[i]!.latencies);
      }
    }
    return routes.map((route, i) => {
      const { latencies, seconds } = samples[i]!;
      latencies.sort((a, b) => a - b);
      return {
        name: route.name,
        requests: latencies.length,
        errors: 0,
        seconds,
        rps: latencies.length / seconds,
        p50: quantile(latencies, 0.5),
        p90: quantile(latencies, 0.9),
        p99: quantile(latencies, 0.99),
        max: latencies[latencies.length - 1] ?? 0,
      };
    });
  } finally {
    agent.destroy();
  }
}

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(await db.execute(query));
  return Number(row?.n ?? 0);
}

/**
 * One course of `lessonCount` video lessons (sharing one ready video row), the given students
 * enrolled, and one playback session per (student, lesson): set-based statements, so 100,000
 * sessions take seconds.
 */
async function seedCourse(db: Db, studentIds: string[], lessonCount: number, prefix: string) {
  const [instructor] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into users (email, password_hash, display_name, role)
      values (${`${prefix}-instructor@bench.example`}, 'x', 'Bench instructor', 'instructor') returning id`),
  );
  const [video] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into videos (owner_id, status, original_filename, size_bytes, fingerprint, raw_key, part_size, part_count,
                          version, duration_seconds)
      values (${instructor!.id}, 'ready', 'bench.mp4', 1, ${`${prefix}-bench`}, ${`${prefix}/bench`}, 1, 1, 'v1',
              ${LESSON_SECONDS}) returning id`),
  );
  const [course] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into courses (instructor_id, slug, title, price_amount, status, published_at)
      values (${instructor!.id}, ${`${prefix}-course`}, 'Heartbeat bench', 0, 'published', now()) returning id`),
  );
  const [section] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into course_sections (course_id, title, position) values (${course!.id}, 'All', 0) returning id`),
  );
  await db.execute(sql`
    insert into lessons (course_id, section_id, title, type, position, duration_seconds, video_id)
    select ${course!.id}, ${section!.id}, 'Lesson ' || g, 'video', g, ${LESSON_SECONDS}, ${video!.id}
    from generate_series(1, ${lessonCount}) g`);
  const students = JSON.stringify(studentIds.map((id) => ({ id })));
  await db.execute(sql`
    insert into enrollments (user_id, course_id, source)
    select s.id, ${course!.id}, 'free' from json_to_recordset(${students}::json) as s(id uuid)`);
  await db.execute(sql`
    insert into playback_sessions (user_id, course_id, lesson_id, video_id, expires_at)
    select s.id, ${course!.id}, l.id, ${video!.id}, now() + interval '1 day'
    from json_to_recordset(${students}::json) as s(id uuid) cross join lessons l
    where l.course_id = ${course!.id}`);
  const sessions = rowsOf<{ user_id: string; lesson_id: string; id: string }>(
    await db.execute(sql`select user_id, lesson_id, id from playback_sessions where course_id = ${course!.id}`),
  );
  return { courseId: course!.id, sessions };
}

/** Students without a usable password (the flush seed calls the service, not the API). */
async function insertStudents(db: Db, n: number, prefix: string): Promise<string[]> {
  return rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into users (email, password_hash, display_name, role)
      select ${prefix} || '-student-' || g || '@bench.example', 'x', 'Student ' || g, 'student'
      from generate_series(1, ${n}) g returning id`),
  ).map((r) => r.id);
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function runHeartbeatBench(
  opts: HeartbeatBenchOptions,
  backends: { databaseUrl: string; redisUrl: string },
  log: (line: string) => void = () => undefined,
): Promise<HeartbeatBenchResult> {
  const server: TestServer = await startTestServer(
    {
      DATABASE_URL: backends.databaseUrl,
      REDIS_URL: backends.redisUrl,
      TRUST_PROXY: 'true',
      RATE_LIMIT_MAX: '1000000',
      DATABASE_POOL_MAX: '20',
    },
    // No worker: the repeatable flush must not run while heartbeats are measured.
    { api: true, worker: false },
  );
  try {
    const db = server.database.primary;
    const prefix = `hb${Date.now().toString(36)}`;
    const [versions] = rowsOf<{ v: string }>(await db.execute(sql`select split_part(version(), ' on ', 1) as v`));
    const loadBefore = os.loadavg();

    // The HTTP callers: one student each, signed in through the API, with a session on lesson 1.
    log(`signing in ${opts.connections} students`);
    const callerIds: string[] = [];
    const ips: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < opts.connections; i++) {
      const email = `${prefix}-caller-${i}@bench.example`;
      const user = await server.services.users.createUser({
        email,
        password: PASSWORD,
        displayName: `Caller ${i}`,
        role: 'student',
      });
      const ip = `10.61.${(i >> 8) & 255}.${i & 255}`;
      const res = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`log-in failed: ${res.status} ${await res.text()}`);
      callerIds.push(user.id);
      ips.push(ip);
      tokens.push(((await res.json()) as { accessToken: string }).accessToken);
    }
    const callerCourse = await seedCourse(db, callerIds, 1, `${prefix}c`);
    const callers: Caller[] = callerIds.map((id, i) => {
      const session = callerCourse.sessions.find((s) => s.user_id === id)!;
      return { token: tokens[i]!, ip: ips[i]!, sessionId: session.id, lessonId: session.lesson_id, position: 0 };
    });

    // Each report claims one second of video after the previous one: always within the wall-time
    // allowance (the 2 s slack alone covers it), wrapping before the end of the hour-long lesson.
    const heartbeat = (caller: Caller) => {
      const start = caller.position;
      caller.position = (caller.position + 1) % (LESSON_SECONDS - 1);
      return {
        method: 'POST',
        path: `/api/v1/lessons/${caller.lessonId}/progress`,
        auth: true,
        body: JSON.stringify({
          sessionId: caller.sessionId,
          positionSeconds: start + 1,
          watched: [[start, start + 1]],
          playbackRate: 1,
          event: 'tick',
        }),
      };
    };
    log(`measuring 3 routes, ${opts.rounds} interleaved rounds, ${opts.durationSeconds} s each in all`);
    const loads = await measureRoutes(
      server.url,
      callers,
      [
        {
          name: 'GET /health/live',
          expectStatus: 200,
          request: () => ({ method: 'GET', path: '/health/live', auth: false }),
        },
        {
          name: 'GET /api/v1/me',
          expectStatus: 200,
          request: () => ({ method: 'GET', path: '/api/v1/me', auth: true }),
        },
        { name: 'POST /api/v1/lessons/:id/progress', expectStatus: 202, request: heartbeat },
      ],
      { warmupSeconds: opts.warmupSeconds, durationSeconds: opts.durationSeconds, rounds: opts.rounds },
    );
    const databaseRowsDuringLoad = await count(db, sql`select count(*) as n from lesson_progress`);
    await server.services.progress.flush();

    // The flush: `flushEntries` changed (student, lesson) entries put in the buffer by the service.
    const lessonsPerStudent = Math.min(100, opts.flushEntries);
    const students = await insertStudents(db, Math.ceil(opts.flushEntries / lessonsPerStudent), `${prefix}f`);
    const seeded = await seedCourse(db, students, lessonsPerStudent, `${prefix}f`);
    const entries = seeded.sessions.slice(0, opts.flushEntries);
    log(`buffering ${entries.length} entries through the progress service`);
    const seedStart = performance.now();
    await pool(entries, 64, async (s) => {
      await server.services.progress.heartbeat({ userId: s.user_id, role: 'student' }, s.lesson_id, {
        sessionId: s.id,
        positionSeconds: 12,
        watched: [
          [0, 5],
          [7, 12],
        ],
        playbackRate: 1,
        event: 'tick',
      });
    });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const rowsBefore = await count(db, sql`select count(*) as n from lesson_progress`);
    log(`flushing ${entries.length} entries`);
    const flushStart = performance.now();
    const flushed = await server.services.progress.flush();
    const flushSeconds = (performance.now() - flushStart) / 1000;
    const rowsAfter = (await count(db, sql`select count(*) as n from lesson_progress`)) - rowsBefore;
    if (flushed.entries !== entries.length || rowsAfter !== entries.length) {
      throw new Error(`flushed ${flushed.entries} entries, ${rowsAfter} new rows; expected ${entries.length}`);
    }

    // A minute later in real life: each of those sessions reports again, and this flush updates
    // every row (the union with its stored intervals).
    log(`buffering a second report of the ${entries.length} entries`);
    await pool(entries, 64, async (s) => {
      await server.services.progress.heartbeat({ userId: s.user_id, role: 'student' }, s.lesson_id, {
        sessionId: s.id,
        positionSeconds: 14,
        watched: [[12, 14]],
        playbackRate: 1,
        event: 'tick',
      });
    });
    log(`flushing ${entries.length} updates`);
    const updateStart = performance.now();
    const updated = await server.services.progress.flush();
    const updateSeconds = (performance.now() - updateStart) / 1000;
    const [merged] = rowsOf<{ n: number | string }>(
      await db.execute(sql`select count(*) as n from lesson_progress where watched_seconds = 12`),
    );
    if (updated.entries !== entries.length || Number(merged?.n) !== entries.length) {
      throw new Error(
        `updated ${updated.entries} entries, ${String(merged?.n)} rows merged; expected ${entries.length}`,
      );
    }

    const [live, me, beat] = loads as [LoadResult, LoadResult, LoadResult];
    const redisVersion = await redisServerVersion(backends.redisUrl);
    return {
      options: opts,
      machine: machine(versions?.v ?? 'PostgreSQL', redisVersion, loadBefore),
      loads,
      heartbeat: {
        rpsVsLive: beat.rps / live.rps,
        rpsVsMe: beat.rps / me.rps,
        p99VsLive: beat.p99 / live.p99,
        p99VsMe: beat.p99 / me.p99,
        databaseRowsDuringLoad,
      },
      flush: {
        entries: flushed.entries,
        seedSeconds,
        flushSeconds,
        entriesPerSecond: flushed.entries / flushSeconds,
        batches: Math.ceil(flushed.entries / FLUSH_BATCH_SIZE),
        rowsAfter,
        updateSeconds,
        updateEntriesPerSecond: updated.entries / updateSeconds,
      },
    };
  } finally {
    await server.stop();
  }
}

async function redisServerVersion(url: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
  } catch {
    return 'Redis';
  } finally {
    redis.disconnect();
  }
}

function machine(pgVersion: string, redisVersion: string, loadBefore: number[]) {
  const cpus = os.cpus();
  const fmt = (l: number[]) => l.map((n) => n.toFixed(1)).join(' / ');
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: pgVersion,
    redis: redisVersion,
    load: `${fmt(loadBefore)} before, ${fmt(os.loadavg())} after (1 / 5 / 15 min)`,
    date: new Date().toISOString(),
  };
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const atCommit = (meta: BenchMeta | undefined) =>
  meta ? ` at commit \`${meta.commit}\`${meta.dirty ? ' plus uncommitted changes' : ''}` : '';
const ratio = (n: number) => n.toFixed(2);

export function renderHeartbeatSection(result: HeartbeatBenchResult): string {
  const { machine: info, options: opts, heartbeat, flush } = result;
  const lines = [START, '## Progress heartbeats', ''];
  lines.push(
    `Measured on ${info.date.slice(0, 10)} (${info.date})${atCommit(result.meta)} on ${info.cpu}, ${info.memory} RAM, ${info.os}; Node ${info.node}; ` +
      `${info.postgres} and ${info.redis}, both private servers started by the bench on the same machine (PostgreSQL with fsync off). ` +
      `Load average ${info.load}: the client, the API, PostgreSQL and Redis share the machine, so compare the ratios ` +
      `rather than the absolute numbers.`,
  );
  lines.push('');
  lines.push(
    `One API process (no worker, so no flush runs during the load), ${opts.connections} concurrent callers, each a signed-in ` +
      `student with its own playback session, over keep-alive HTTP/1.1 (a closed loop: the next request leaves when the ` +
      `previous one is answered); ${opts.warmupSeconds} s warm-up, then ${opts.durationSeconds} s per route in ${opts.rounds} ` +
      'interleaved rounds (so other work on the machine weighs on every route alike). ' +
      '`GET /health/live` is the HTTP stack alone; `GET /api/v1/me` is an authenticated route that reads one row by primary key. ' +
      'A heartbeat is authentication, validation and the cache buffer: lesson facts and the access answer from the cache, ' +
      'the session’s previous report, two hash writes, no database query.',
  );
  lines.push('');
  lines.push('| route | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const l of result.loads) {
    lines.push(
      `| \`${l.name}\` | ${l.requests} | ${l.rps.toFixed(0)} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Heartbeat ÷ \`/health/live\`: ${ratio(heartbeat.rpsVsLive)}× the requests per second, ${ratio(heartbeat.p99VsLive)}× the p99. ` +
      `Heartbeat ÷ \`/api/v1/me\`: ${ratio(heartbeat.rpsVsMe)}× the requests per second, ${ratio(heartbeat.p99VsMe)}× the p99. ` +
      `lesson_progress rows written while heartbeats ran: ${heartbeat.databaseRowsDuringLoad}.`,
  );
  lines.push('');
  lines.push(
    `**Flush.** ${flush.entries.toLocaleString('en')} changed (student, lesson) entries were put in the buffer through the ` +
      `progress service (${flush.seedSeconds.toFixed(1)} s, each a session’s first report, which checks the session in the ` +
      `database), then one \`progress.flush\` run moved them into lesson_progress: **${flush.flushSeconds.toFixed(2)} s**, ` +
      `${Math.round(flush.entriesPerSecond).toLocaleString('en')} entries/s, in ${flush.batches} batches of up to 1,000 ` +
      '(per batch, three batches at a time: the entries read from Redis with one script call; while the last batch was mostly ' +
      'new rows, one insert of the rows that do not exist yet, then for the rest one read of the stored rows, the interval union ' +
      'computed in Node and one write of them from array parameters; once most rows exist, the read first and new rows inserted by ' +
      'that one write; one course-completion query when lessons complete). ' +
      `Every entry then reported once more and flushed again, so that every row is an update merging its stored intervals: ` +
      `**${flush.updateSeconds.toFixed(2)} s**, ${Math.round(flush.updateEntriesPerSecond).toLocaleString('en')} entries/s.`,
  );
  lines.push('');
  lines.push(
    'Raw numbers: [`docs/benchmarks/heartbeat.json`](benchmarks/heartbeat.json). ' +
      `Reproduce: \`${result.meta?.command ?? `npm run bench -- heartbeat --connections ${opts.connections} --duration ${opts.durationSeconds} --flush-entries ${opts.flushEntries}`}\`.`,
  );
  lines.push(END);
  return lines.join('\n');
}

export function writeHeartbeatReport(result: HeartbeatBenchResult): void {
  writeFileSync(JSON_OUT, `${JSON.stringify(result, null, 2)}\n`);
  const section = renderHeartbeatSection(result);
  const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
  try {
    execFileSync('npx', ['prettier', '--write', DOC.pathname, JSON_OUT.pathname], { stdio: 'ignore' });
  } catch {
    // formatting is a nicety
  }
}

export async function mainHeartbeat(argv: string[]): Promise<void> {
  const opts = parseHeartbeatArgs(argv);
  const run = startMeta(['heartbeat', ...argv]);
  const log = (line: string) => console.log(`[bench] ${line}`);
  log('starting a private PostgreSQL and Redis');
  const [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  try {
    const result = await runHeartbeatBench(opts, { databaseUrl: postgres.url, redisUrl: redis.url }, log);
    result.meta = run.finish();
    for (const l of result.loads) {
      log(`${l.name.padEnd(36)} ${l.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(l.p50)} ms  p99 ${ms(l.p99)} ms`);
    }
    log(`flush: ${result.flush.entries} entries in ${result.flush.flushSeconds.toFixed(2)} s`);
    if (opts.write) {
      writeHeartbeatReport(result);
      log(`wrote ${DOC.pathname} and ${JSON_OUT.pathname}`);
    } else {
      console.log(renderHeartbeatSection(result));
    }
  } finally {
    await redis.stop();
    await postgres.destroy();
  }
}

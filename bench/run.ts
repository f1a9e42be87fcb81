/**
 * `npm run bench -- search [--courses N] [--duration s] [--connections c] [--no-write]`
 * `npm run bench -- transcode [--seconds N] [--repetitions N] [--smoke] [--no-write]` (see transcode.ts)
 * `npm run bench -- heartbeat [--duration s] [--connections c] [--flush-entries N] [--smoke] [--no-write]` (see heartbeat.ts)
 *
 * Starts a private PostgreSQL (never the machine's shared one), migrates it, generates the
 * courses, measures, and writes the results into docs/benchmarks.md between the search markers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrate } from '../server/src/platform/db/migrate.js';
import { openPostgres } from '../server/src/platform/db/postgres.js';
import { rowsOf } from '../server/src/platform/db/rows.js';
import { startPrivatePostgres } from '../server/test/support/private-services.js';
import {
  explainSearches,
  generateCourses,
  measure,
  searchService,
  workloads,
  type Measurement,
  type PlanCheck,
  type GenerateResult,
} from './search.js';

const TARGET_P95_MS = 50;
/**
 * The private server gets what any production PostgreSQL serving a catalog from RAM and SSD is
 * given, instead of the defaults for a spinning disk and 128 MB: with random_page_cost = 4 the
 * planner prefers scanning all of `courses` over a few thousand primary-key lookups.
 */
const SERVER_SETTINGS: Record<string, string> = {
  shared_buffers: '512MB',
  effective_cache_size: '2GB',
  random_page_cost: '1.1',
  work_mem: '16MB',
};
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const START = '<!-- search-bench:start -->';
const END = '<!-- search-bench:end -->';

interface Options {
  courses: number;
  durationSeconds: number;
  connections: number;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const [name, ...rest] = argv;
  if (name !== 'search') {
    console.error(
      'usage: npm run bench -- search [--courses N] [--duration s] [--connections c] [--no-write]\n' +
        '       npm run bench -- transcode [--seconds N] [--repetitions N] [--smoke] [--no-write]\n' +
        '       npm run bench -- heartbeat [--duration s] [--connections c] [--flush-entries N] [--smoke] [--no-write]',
    );
    process.exit(2);
  }
  const opts: Options = { courses: 100_000, durationSeconds: 10, connections: 2, write: true };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const number = () => {
      const n = Number(rest[++i]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
      return n;
    };
    if (flag === '--courses') opts.courses = Math.floor(number());
    else if (flag === '--duration') opts.durationSeconds = number();
    else if (flag === '--connections') opts.connections = Math.floor(number());
    else if (flag === '--no-write') opts.write = false;
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);

function machine(pgVersion: string, loadBefore: number[]) {
  const cpus = os.cpus();
  const load = (l: number[]) => l.map((n) => n.toFixed(1)).join(' / ');
  return {
    load: `${load(loadBefore)} before, ${load(os.loadavg())} after (1 / 5 / 15 min)`,
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: pgVersion,
    date: new Date().toISOString(),
  };
}

function report(
  opts: Options,
  info: ReturnType<typeof machine>,
  generated: GenerateResult,
  results: Measurement[],
  plans: PlanCheck[],
): string {
  const baseline = results.find((r) => r.name === 'baseline_pk')!;
  const lines: string[] = [];
  lines.push(START);
  lines.push('## Search');
  lines.push('');
  lines.push(
    `Measured on ${info.date.slice(0, 10)} (${info.date}) on ${info.cpu}, ${info.memory} RAM, ${info.os}; ` +
      `Node ${info.node}; ${info.postgres} (a private server started by the bench: ` +
      `${Object.entries(SERVER_SETTINGS)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}, fsync off). Load average ${info.load}: ` +
      `other work shared the machine, so treat the absolute numbers as an upper bound and compare the ratios.`,
  );
  lines.push('');
  lines.push(
    `Data: ${generated.courses.toLocaleString('en')} generated courses (${generated.published.toLocaleString('en')} published and indexed; ` +
      `about 70% Korean, 30% English titles and descriptions, 8 categories × 4 subcategories, skewed prices, ratings and enrolments). ` +
      `Bulk insert ${(generated.insertMs / 1000).toFixed(1)} s; building every search document through the real indexer ` +
      `(the \`lectio reindex\` path, batches of 1,000) ${(generated.indexMs / 1000).toFixed(1)} s.`,
  );
  lines.push('');
  lines.push(
    `Each query type ran for ${opts.durationSeconds} s with ${opts.connections} concurrent callers through \`SearchService\` ` +
      `(the code behind \`GET /api/v1/search\` and \`/search/suggest\`, without HTTP), cycling through the listed variants. ` +
      `A search call is two SQL statements (one for total, facets and the page's ids over the documents alone; one for the page's cards), ` +
      `one more when full text finds fewer than 3 courses and the query is retried for typos. Counting stops at 10,000 matches (\`totalIsLowerBound\`); the page is still exact over every match (without query text it is read from the front of the sort key's index). ` +
      `Ratios compare with the primary-key lookup measured in the same run. Target: p95 < ${TARGET_P95_MS} ms.`,
  );
  lines.push('');
  lines.push(
    '| query type | variants | calls | calls/s | p50 ms | p95 ms | p99 ms | p50 ÷ baseline | p95 ÷ baseline | p95 < 50 ms |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|');
  for (const r of results) {
    const isBaseline = r === baseline;
    lines.push(
      `| ${r.name} | ${r.description} | ${r.calls} | ${r.qps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ` +
        `${isBaseline ? '1' : (r.p50 / baseline.p50).toFixed(1)} | ${isBaseline ? '1' : (r.p95 / baseline.p95).toFixed(1)} | ` +
        `${r.p95 < TARGET_P95_MS ? 'yes' : '**no**'} |`,
    );
  }
  lines.push('');
  lines.push('### Plans');
  lines.push('');
  lines.push(
    'Every statement a search issues against `course_search_documents` was run under `EXPLAIN (ANALYZE)`; ' +
      'the bench (and the CI smoke test `server/test/search-bench.test.ts`) fails if any of them seq-scans the table.',
  );
  lines.push('');
  lines.push('| query type | query | statement | search indexes used | seq scan on documents | execution ms |');
  lines.push('|---|---|---:|---|:---:|---:|');
  for (const p of plans) {
    lines.push(
      `| ${p.workload} | \`${p.query}\` | ${p.statement} | ${p.indexes.join(', ') || '—'} | ${p.seqScanOnDocuments ? '**yes**' : 'no'} | ${ms(p.executionMs)} |`,
    );
  }
  const sample = plans.find((p) => p.workload === 'korean_particle' && p.statement === 1) ?? plans[0];
  if (sample) {
    lines.push('');
    lines.push(`Example: the main statement (total, facets and the page's ids) of \`${sample.query}\`:`);
    lines.push('');
    lines.push('```');
    lines.push(sample.plan);
    lines.push('```');
  }
  lines.push('');
  lines.push(
    `Reproduce: \`npm run bench -- search --courses ${opts.courses} --duration ${opts.durationSeconds} --connections ${opts.connections}\`.`,
  );
  lines.push(END);
  return lines.join('\n');
}

function writeReport(section: string): void {
  const header = '# Benchmarks\n\nNumbers from `npm run bench`, with the machine and date they were measured on.\n\n';
  const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : header;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(`[bench] ${line}`);
  log(
    `starting a private PostgreSQL (${opts.courses} courses, ${opts.durationSeconds} s per query type, ${opts.connections} connections)`,
  );
  const server = await startPrivatePostgres();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    for (const [name, value] of Object.entries(SERVER_SETTINGS))
      await admin.query(`alter system set ${name} = '${value}'`);
    await admin.query('create database lectio_bench');
    await admin.end();
    // shared_buffers only changes on a restart.
    await server.stop();
    await server.start();
    const url = server.url.replace(/\/postgres$/, '/lectio_bench');
    const database = openPostgres({ url, replicaUrls: [], poolMax: opts.connections + 2 });
    try {
      const db = database.primary;
      await migrate(db);
      const generated = await generateCourses(db, opts.courses, log);
      const loadBefore = os.loadavg();
      const [version] = rowsOf<{ v: string }>(await db.execute(sql`select split_part(version(), ' on ', 1) as v`));
      const sampleIds = rowsOf<{ id: string }>(
        await db.execute(sql`select id from courses order by md5(id::text) limit 1000`),
      ).map((r) => r.id);
      const list = workloads(sampleIds);
      const service = searchService(db);
      const results: Measurement[] = [];
      for (const workload of list) {
        const result = await measure(workload, service, db, {
          durationMs: opts.durationSeconds * 1000,
          connections: opts.connections,
        });
        log(`${result.name.padEnd(16)} p50 ${ms(result.p50)} ms  p95 ${ms(result.p95)} ms  (${result.calls} calls)`);
        results.push(result);
      }
      const plans = await explainSearches(db, list);
      const bad = plans.filter((p) => p.seqScanOnDocuments || !p.usesSearchIndex);
      for (const p of bad) log(`PLAN WITHOUT SEARCH INDEX: ${p.workload} ${p.query} #${p.statement}\n${p.plan}`);
      const section = report(opts, machine(version!.v, loadBefore), generated, results, plans);
      if (opts.write) {
        writeReport(section);
        log(`wrote ${DOC.pathname}`);
        try {
          execFileSync('npx', ['prettier', '--write', DOC.pathname], { stdio: 'ignore' });
        } catch {
          // formatting is a nicety
        }
      } else {
        console.log(section);
      }
      if (bad.length > 0) process.exitCode = 1;
    } finally {
      await database.close();
    }
  } finally {
    await server.destroy();
  }
}

const [scenario, ...rest] = process.argv.slice(2);
if (scenario === 'heartbeat') {
  // Progress heartbeats and their flush on a private PostgreSQL + Redis (bench/heartbeat.ts).
  const { mainHeartbeat } = await import('./heartbeat.js');
  await mainHeartbeat(rest);
} else if (scenario === 'transcode') {
  // Loaded only for this scenario: it needs ffmpeg, not PostgreSQL.
  const { mainTranscode } = await import('./transcode.js');
  await mainTranscode(rest);
} else {
  await main();
}

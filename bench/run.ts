/**
 * `npm run bench` — every benchmark scenario, one after another, each writing
 * docs/benchmarks/<name>.json, then docs/benchmarks.md regenerated from those files.
 *
 *   npm run bench -- [scenario...] [--duration s] [--connections c[,c]] [--smoke] [--no-write]
 *   npm run bench -- report                  regenerate docs/benchmarks.md from docs/benchmarks/*.json
 *   npm run bench -- soak [--minutes 10]     the soak run (bench/soak.ts)
 *
 * Scenarios: api (bench/api), delivery, search, heartbeat, transcode, scale-out, memory, large-upload.
 * With no scenario every one runs (a scenario whose file does not exist is skipped with a
 * message). The options are given to each; one that takes a single connection count gets the
 * first of the list, transcode (which measures no connections) gets only --smoke and --no-write.
 * Each scenario's own options are in its file (e.g. `npm run bench -- search --courses 100000`).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { migrate } from '../server/src/platform/db/migrate.js';
import { openPostgres } from '../server/src/platform/db/postgres.js';
import { rowsOf } from '../server/src/platform/db/rows.js';
import { SERVER_SETTINGS, startTunedPostgres } from './api/postgres.js';
import { regenerateReport, type SearchBenchJson } from './lib/report.js';
import { parseFlags } from './lib/args.js';
import { startMeta, writeBenchJson } from './lib/meta.js';
import { explainSearches, generateCourses, measure, searchService, workloads, type Measurement } from './search.js';

const TARGET_P95_MS = 50;
const log = (line: string) => console.log(`[bench] ${line}`);

// ---------------------------------------------------------------------------------------------
// search (its code predates bench/api; it measures SearchService without HTTP)
// ---------------------------------------------------------------------------------------------

interface SearchOptions {
  courses: number;
  durationSeconds: number;
  connections: number;
  write: boolean;
}

function parseSearchArgs(rest: string[]): SearchOptions {
  const opts: SearchOptions = { courses: 100_000, durationSeconds: 10, connections: 2, write: true };
  parseFlags(rest, {
    '--courses': (v) => (opts.courses = Math.floor(v.number())),
    '--duration': (v) => (opts.durationSeconds = v.number()),
    '--connections': (v) => (opts.connections = Math.floor(v.number())),
    '--no-write': () => (opts.write = false),
    '--smoke': () => Object.assign(opts, { courses: 2_000, durationSeconds: 1, write: false }),
  });
  return opts;
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);

async function mainSearch(rest: string[]): Promise<void> {
  const opts = parseSearchArgs(rest);
  const run = startMeta(['search', ...rest]);
  log(
    `starting a private PostgreSQL (${opts.courses} courses, ${opts.durationSeconds} s per query type, ${opts.connections} connections)`,
  );
  const { server, url } = await startTunedPostgres();
  try {
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
      const cpus = os.cpus();
      const load = (l: number[]) => l.map((n) => n.toFixed(1)).join(' / ');
      const json: SearchBenchJson & { meta: ReturnType<typeof run.finish> } = {
        meta: run.finish(),
        options: { courses: opts.courses, durationSeconds: opts.durationSeconds, connections: opts.connections },
        machine: {
          load: `${load(loadBefore)} before, ${load(os.loadavg())} after (1 / 5 / 15 min)`,
          cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
          memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
          os: `${os.type()} ${os.release()} (${os.arch()})`,
          node: process.version,
          postgres: version!.v,
          date: new Date().toISOString(),
        },
        settings: SERVER_SETTINGS,
        generated,
        results,
        plans,
        targetP95Ms: TARGET_P95_MS,
      };
      if (opts.write) {
        const out = new URL('../docs/benchmarks/search.json', import.meta.url);
        writeBenchJson(out, json);
        log(`wrote ${out.pathname}`);
      } else {
        const { renderSearchSection } = await import('./lib/report.js');
        console.log(renderSearchSection(json));
      }
      if (bad.length > 0) process.exitCode = 1;
    } finally {
      await database.close();
    }
  } finally {
    await server.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The dispatcher
// ---------------------------------------------------------------------------------------------

interface ScenarioEntry {
  /** File (relative to bench/) whose export runs it; skipped with a message when it is absent. */
  file: string;
  main: string;
  /** Which common flags it takes: 'list' = --connections c[,c]; 'one' = its first value only. */
  connections: 'list' | 'one' | 'none';
  duration: boolean;
}

const SCENARIOS: Record<string, ScenarioEntry> = {
  api: { file: './api/index.ts', main: 'mainApi', connections: 'list', duration: true },
  delivery: { file: './delivery.ts', main: 'mainDelivery', connections: 'list', duration: true },
  search: { file: './run.ts', main: 'mainSearch', connections: 'one', duration: true },
  heartbeat: { file: './heartbeat.ts', main: 'mainHeartbeat', connections: 'one', duration: true },
  transcode: { file: './transcode.ts', main: 'mainTranscode', connections: 'none', duration: false },
  'scale-out': { file: './scale-out.ts', main: 'mainScaleOut', connections: 'list', duration: true },
  memory: { file: './memory.ts', main: 'mainMemory', connections: 'one', duration: true },
};
/** Run only when named (not part of `npm run bench`): minutes of generated uploads. */
const ON_REQUEST: Record<string, ScenarioEntry> = {
  'large-upload': { file: './large-upload.ts', main: 'mainLargeUpload', connections: 'none', duration: false },
};

/** The common options as one scenario takes them. */
function argsFor(entry: ScenarioEntry, flags: string[], all: boolean): string[] {
  if (!all) return flags; // named explicitly: its own options pass through untouched
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--connections') {
      const value = flags[++i] ?? '';
      if (entry.connections === 'list') out.push(flag, value);
      else if (entry.connections === 'one') out.push(flag, value.split(',')[0]!);
    } else if (flag === '--duration') {
      const value = flags[++i] ?? '';
      if (entry.duration) out.push(flag, value);
    } else out.push(flag);
  }
  return out;
}

async function runScenario(name: string, entry: ScenarioEntry, args: string[]): Promise<boolean> {
  if (!existsSync(new URL(entry.file, import.meta.url))) {
    log(`${name}: bench/${entry.file.slice(2)} does not exist yet, skipped`);
    return false;
  }
  if (entry.main === 'mainSearch') {
    await mainSearch(args);
    return true;
  }
  const module = (await import(entry.file.replace(/\.ts$/, '.js'))) as Record<string, unknown>;
  const main = module[entry.main];
  if (typeof main !== 'function') {
    log(`${name}: bench/${entry.file.slice(2)} has no ${entry.main}(argv) export, skipped`);
    return false;
  }
  log(`${name}: ${['npm run bench --', name, ...args].join(' ')}`);
  await (main as (argv: string[]) => Promise<void>)(args);
  return true;
}

const USAGE = `npm run bench -- [scenario...] [--duration s] [--connections c[,c]] [--smoke] [--no-write]
npm run bench -- report                  regenerate docs/benchmarks.md from docs/benchmarks/*.json
npm run bench -- soak [--minutes 10]     the soak run

Scenarios: ${Object.keys(SCENARIOS).join(', ')}; on request only: ${Object.keys(ON_REQUEST).join(', ')}.
With no scenario every one runs, each writing docs/benchmarks/<name>.json, then docs/benchmarks.md.
A scenario's own options are at the top of its file (bench/api/index.ts, bench/delivery.ts, ...).`;

async function dispatch(argv: string[]): Promise<void> {
  // Before anything starts: without this, --help reached every scenario as an unknown option.
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const names: string[] = [];
  let i = 0;
  while (i < argv.length && !argv[i]!.startsWith('--')) names.push(argv[i++]!);
  const flags = argv.slice(i);
  if (names[0] === 'report') {
    await regenerateReport(log);
    return;
  }
  if (names[0] === 'soak') {
    const { mainSoak } = await import('./soak.js');
    await mainSoak(flags);
    return;
  }
  const all = names.length === 0;
  const chosen = all ? Object.keys(SCENARIOS) : names;
  const unknown = chosen.filter((n) => !SCENARIOS[n] && !ON_REQUEST[n]);
  if (unknown.length) {
    console.error(
      `unknown scenario ${unknown.join(', ')}; known: ${[...Object.keys(SCENARIOS), ...Object.keys(ON_REQUEST)].join(', ')}, report, soak`,
    );
    process.exit(2);
  }
  const write = !flags.includes('--no-write') && !flags.includes('--smoke');
  const failed: string[] = [];
  for (const name of chosen) {
    const entry = SCENARIOS[name] ?? ON_REQUEST[name]!;
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await runScenario(name, entry, argsFor(entry, flags, all));
      if (process.exitCode) failed.push(name);
    } catch (error) {
      // One scenario failing (a missing tool, a port) must not lose the others' numbers.
      if (!all) throw error;
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      failed.push(name);
    }
    process.exitCode = before ?? process.exitCode;
    if (write) await regenerateReport(log);
  }
  if (failed.length) {
    log(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

await dispatch(process.argv.slice(2));

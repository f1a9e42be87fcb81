/**
 * docs/benchmarks.md from docs/benchmarks/*.json alone (`npm run bench -- report`): each JSON file
 * `<name>.json` is rendered by the `render<Name>Section` (or `render<Name>Markdown`) export of bench/<name>.ts (or
 * bench/<name>/index.ts, or this file for search) into the section between
 * `<!-- <name>-bench:start -->` and `<!-- <name>-bench:end -->`. Text outside the markers is
 * hand-written and kept; a section whose JSON does not exist yet is kept as it is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = new URL('../../docs/benchmarks.md', import.meta.url);
const JSON_DIR = new URL('../../docs/benchmarks/', import.meta.url);
const HEADER = '# Benchmarks\n\nNumbers from `npm run bench`, with the machine and date they were measured on.\n';

const pascal = (name: string) =>
  name
    .split(/[-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

export const markers = (name: string) => ({
  start: `<!-- ${name}-bench:start -->`,
  end: `<!-- ${name}-bench:end -->`,
});

type Renderer = (result: never) => string;

/** The renderer of a section: bench/<name>.ts, bench/<name>/index.ts, or one defined here. */
async function rendererOf(name: string): Promise<Renderer | undefined> {
  const exportName = `render${pascal(name)}Section`;
  if (name === 'search') return renderSearchSection as Renderer;
  for (const file of [`../${name}.ts`, `../${name}/index.ts`]) {
    const url = new URL(file, import.meta.url);
    if (!existsSync(url)) continue;
    const module = (await import(url.href)) as Record<string, unknown>;
    const render = module[exportName] ?? module[`render${pascal(name)}Markdown`];
    if (typeof render === 'function') return render as Renderer;
  }
  return undefined;
}

/** Replaces (or appends) one generated section in the document text. */
export function replaceSection(doc: string, name: string, body: string): string {
  const { start, end } = markers(name);
  // Some renderers include the markers themselves; the others give only the body.
  const trimmed = body.trim();
  const section = trimmed.startsWith(start) ? trimmed : `${start}\n\n${trimmed}\n\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + section + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

/** Renders every section that has a JSON file and a renderer; returns what it did per name. */
export async function renderDocument(current: string): Promise<{ doc: string; done: string[]; skipped: string[] }> {
  let doc = current;
  const done: string[] = [];
  const skipped: string[] = [];
  const files = existsSync(JSON_DIR) ? readdirSync(JSON_DIR).filter((f) => f.endsWith('.json')) : [];
  for (const file of files.sort()) {
    const name = file.slice(0, -'.json'.length);
    const render = await rendererOf(name);
    if (!render) {
      skipped.push(`${name} (no render${pascal(name)}Section export)`);
      continue;
    }
    const json = JSON.parse(readFileSync(new URL(file, JSON_DIR), 'utf8')) as never;
    doc = replaceSection(doc, name, render(json));
    done.push(name);
  }
  return { doc, done, skipped };
}

export async function regenerateReport(log: (line: string) => void = console.log): Promise<void> {
  const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEADER;
  const { doc, done, skipped } = await renderDocument(current);
  writeFileSync(DOC, doc);
  try {
    execFileSync('npx', ['prettier', '--write', fileURLToPath(DOC)], { stdio: 'ignore' });
  } catch {
    // formatting is a nicety
  }
  log(
    `docs/benchmarks.md: generated ${done.join(', ') || 'nothing'}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`,
  );
  const hasJson = new Set(done);
  for (const name of [
    'search',
    'heartbeat',
    'transcode',
    'api',
    'delivery',
    'large-upload',
    'scale-out',
    'soak',
    'memory',
  ]) {
    if (!hasJson.has(name) && current.includes(markers(name).start)) {
      log(
        `  ${name}: no docs/benchmarks/${name}.json yet, the section is kept as it was (run \`npm run bench -- ${name}\`)`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Search (its writer is bench/run.ts; the section used to be written as markdown only)
// ---------------------------------------------------------------------------------------------

export interface SearchBenchJson {
  options: { courses: number; durationSeconds: number; connections: number };
  machine: { load: string; cpu: string; memory: string; os: string; node: string; postgres: string; date: string };
  settings: Record<string, string>;
  generated: { courses: number; published: number; insertMs: number; indexMs: number };
  results: {
    name: string;
    description: string;
    calls: number;
    qps: number;
    p50: number;
    p95: number;
    p99: number;
  }[];
  plans: {
    workload: string;
    query: string;
    statement: number;
    indexes: string[];
    seqScanOnDocuments: boolean;
    executionMs: number;
    plan: string;
  }[];
  targetP95Ms: number;
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);

export function renderSearchSection(r: SearchBenchJson): string {
  const { options: opts, machine: info, generated, results, plans } = r;
  const baseline = results.find((x) => x.name === 'baseline_pk') ?? results[0]!;
  const lines: string[] = [];
  lines.push('## Search');
  lines.push('');
  lines.push(
    `Measured on ${info.date.slice(0, 10)} (${info.date}) on ${info.cpu}, ${info.memory} RAM, ${info.os}; ` +
      `Node ${info.node}; ${info.postgres} (a private server started by the bench: ` +
      `${Object.entries(r.settings)
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
      `Ratios compare with the primary-key lookup measured in the same run. Target: p95 < ${r.targetP95Ms} ms.`,
  );
  lines.push('');
  lines.push(
    `| query type | variants | calls | calls/s | p50 ms | p95 ms | p99 ms | p50 ÷ baseline | p95 ÷ baseline | p95 < ${r.targetP95Ms} ms |`,
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|');
  for (const x of results) {
    const isBaseline = x === baseline;
    const verdict = x.p95 < r.targetP95Ms ? 'yes' : `**no** (+${ms(x.p95 - r.targetP95Ms)} ms)`;
    lines.push(
      `| ${x.name} | ${x.description} | ${x.calls} | ${x.qps.toFixed(0)} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} | ` +
        `${isBaseline ? '1' : (x.p50 / baseline.p50).toFixed(1)} | ${isBaseline ? '1' : (x.p95 / baseline.p95).toFixed(1)} | ${verdict} |`,
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
    'Raw numbers: [`docs/benchmarks/search.json`](benchmarks/search.json). ' +
      `Reproduce: \`npm run bench -- search --courses ${opts.courses} --duration ${opts.durationSeconds} --connections ${opts.connections}\`.`,
  );
  return lines.join('\n');
}

/**
 * Where and how a benchmark ran: the `meta` block every docs/benchmarks/<name>.json carries, so
 * the markdown generated from it (bench/lib/report.ts) can say which commit, machine and command
 * the numbers belong to without anything but the JSON.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BenchMeta {
  commit: string;
  /** The working tree had uncommitted changes (the numbers are for commit + those changes). */
  dirty: boolean;
  /** The exact command, e.g. `npm run bench -- api --duration 10`. */
  command: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    node: string;
    /** 1 / 5 / 15 minute load averages when the run started and when it ended. */
    load: { before: number[]; after: number[] };
  };
  date: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/** Call at the start of a run; `finish()` records the load average at its end. */
export function startMeta(argv: string[]): { meta: BenchMeta; finish(): BenchMeta } {
  const cpus = os.cpus();
  const round = (l: number[]) => l.map((n) => Math.round(n * 100) / 100);
  const meta: BenchMeta = {
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    // docs/ left out: a run of several scenarios rewrites docs/benchmarks* as it goes, which would
    // mark every scenario after the first as measured on a changed tree.
    dirty: git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs']) !== '',
    command: ['npm run bench --', ...argv].join(' '),
    machine: {
      cpu: `${cpus[0]?.model?.trim() ?? 'unknown'} × ${cpus.length}`,
      cores: os.availableParallelism(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} (${os.arch()})`,
      node: process.version,
      load: { before: round(os.loadavg()), after: [] },
    },
    date: new Date().toISOString(),
  };
  return {
    meta,
    finish() {
      meta.machine.load.after = round(os.loadavg());
      return meta;
    },
  };
}

/** Writes a run's raw JSON (two-space indent, final newline), making its directory if need be. */
export function writeBenchJson(file: URL, json: unknown): void {
  mkdirSync(new URL('.', file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  // In the project's format, so the file passes the lint step as it is written (short arrays on one line).
  try {
    execFileSync('npx', ['prettier', '--write', fileURLToPath(file)], { stdio: 'ignore' });
  } catch {
    // formatting is a nicety; the JSON is the same either way
  }
}

/** One sentence about the run, for the top of a generated section. */
export function describeMeta(meta: BenchMeta): string {
  const m = meta.machine;
  const load = (l: number[]) => (l.length ? l.map((n) => n.toFixed(1)).join(' / ') : '?');
  return (
    `Measured on ${meta.date.slice(0, 10)} (${meta.date}) at commit \`${meta.commit}\`${meta.dirty ? ' plus uncommitted changes' : ''} ` +
    `on ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}. Load average ${load(m.load.before)} before, ` +
    `${load(m.load.after)} after (1 / 5 / 15 min). Command: \`${meta.command}\`.`
  );
}

/** The same in the shorter form of the Delivery and Large upload sections (day, load averages as recorded). */
export function describeMetaBrief(meta: BenchMeta): string {
  const m = meta.machine;
  return (
    `Measured on ${meta.date.slice(0, 10)} at commit \`${meta.commit}\`${meta.dirty ? ' (plus uncommitted changes)' : ''} ` +
    `on ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}; load average ${m.load.before.join(' / ')} before, ` +
    `${m.load.after.join(' / ')} after. Command: \`${meta.command}\`.`
  );
}

#!/usr/bin/env node
// Runs the vitest projects and ends with one line "N passed, N failed" (what CI reads).
// Usage: node scripts/run-tests.mjs [--project NAME ...] [--summary-file FILE]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const args = process.argv.slice(2);
const projects = [];
let summaryFile;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--project') projects.push(args[++i]);
  else if (args[i] === '--summary-file') summaryFile = args[++i];
  else {
    console.error(`unknown argument ${args[i]}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-tests-'));
const report = path.join(dir, 'report.json');
const vitest = path.resolve('node_modules/vitest/vitest.mjs');
const result = spawnSync(
  process.execPath,
  [
    vitest,
    'run',
    ...projects.flatMap((p) => ['--project', p]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
// The names of what failed, one line each with the first line of its message. CI keeps only the
// tail of a run's output, and vitest lists failures far above it; these lines go to the end.
const failures = [];
const firstLine = (text) =>
  String(text ?? '')
    .split('\n')
    .find((l) => l.trim() !== '') ?? '';
// A browser step's timeout says only "Timeout exceeded" on its first line: what it waited for
// (Playwright's call log) and where the test stood (the first frame in a test file) say which step.
const describeFailure = (text) => {
  // Playwright colours its call log.
  const lines = stripVTControlCharacters(String(text ?? '')).split('\n');
  const waited = lines
    .find((l) => /^\s*- waiting for /.test(l))
    ?.trim()
    .replace(/^- /, '');
  const frame = lines.map((l) => /\(?([^\s()]+\.test\.ts:\d+):\d+\)?\s*$/.exec(l)?.[1]).find(Boolean);
  return [
    firstLine(text),
    waited && `(${waited})`,
    frame && `at ${path.relative(process.cwd(), frame.replace(/^file:\/\//, ''))}`,
  ]
    .filter(Boolean)
    .join(' ');
};
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  for (const file of json.testResults) {
    const name = path.relative(process.cwd(), file.name);
    // A suite that crashed before its tests ran counts as a failure, not as nothing.
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      failed += 1;
      failures.push(`${name}: ${firstLine(file.message)}`);
    }
    for (const test of file.assertionResults) {
      if (test.status === 'failed')
        failures.push(`${name} > ${test.fullName}: ${describeFailure(test.failureMessages?.[0])}`);
    }
  }
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
if (result.status !== 0 && failed === 0) failed = 1;
if (passed === 0 && failed === 0) failed = 1;

const clipped = failures.map((f) => (f.length > 400 ? `${f.slice(0, 400)}…` : f));
if (summaryFile) writeFileSync(summaryFile, JSON.stringify({ passed, failed, failures: clipped }));
if (clipped.length > 0) console.log(`\nFailed:\n${clipped.map((f) => `  ${f}`).join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

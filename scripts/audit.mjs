#!/usr/bin/env node
// Supply-chain gate: `npm audit --omit=dev --json` over the production dependencies of every
// workspace; fails on any high or critical advisory not covered by a dated exception in
// security/audit-exceptions.json, and on any expired exception.
//
// Usage: node scripts/audit.mjs [--report FILE] [--allow-unreachable]
//   --report FILE        judge a saved `npm audit --json` output instead of asking the registry
//   --allow-unreachable  when npm gets no report (registry down, audit endpoint refused), warn and
//                        exit 0 instead of failing. Off by default: a gate that cannot look has not
//                        passed. Only for a mirror known to lack the audit endpoint.
//
// Exit codes: 0 pass, 1 blocking advisories or expired/invalid exceptions, 2 no audit report.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  advisoriesFrom,
  auditFailureReason,
  evaluateAudit,
  isAuditReport,
  parseExceptions,
} from './lib/audit-policy.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXCEPTIONS_FILE = 'security/audit-exceptions.json';
const AUDIT_TIMEOUT_MS = 180_000;

const args = process.argv.slice(2);
let reportFile;
let allowUnreachable = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--report') reportFile = args[++i];
  else if (args[i] === '--allow-unreachable') allowUnreachable = true;
  else {
    console.error(`unknown argument ${args[i]}`);
    process.exit(2);
  }
}

const today = new Date().toISOString().slice(0, 10);
const { exceptions, problems } = parseExceptions(
  JSON.parse(readFileSync(new URL(`../${EXCEPTIONS_FILE}`, import.meta.url), 'utf8')),
);

let output;
if (reportFile) {
  output = JSON.parse(readFileSync(reportFile, 'utf8'));
} else {
  const npm = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: AUDIT_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  try {
    output = JSON.parse(npm.stdout);
  } catch {
    output = { message: (npm.error?.message ?? npm.stderr ?? '').trim().split('\n').slice(-3).join(' ') };
  }
}

if (!isAuditReport(output)) {
  const reason = auditFailureReason(output);
  console.error(`npm audit produced no report: ${reason}`);
  console.error(
    "The registry's audit endpoint (POST /-/npm/v1/security/advisories/bulk) could not be used, so the " +
      'production dependencies were NOT checked for advisories.',
  );
  if (allowUnreachable) {
    console.error('--allow-unreachable: not failing. Run the audit where the registry answers.');
    process.exit(0);
  }
  process.exit(2);
}

const advisories = advisoriesFrom(output);
const verdict = evaluateAudit(advisories, exceptions, today);
const counts = output.metadata?.vulnerabilities ?? {};
const deps = output.metadata?.dependencies ?? {};
console.log(
  `npm audit --omit=dev: ${deps.prod ?? deps.total ?? '?'} production dependencies; advisories by severity: ` +
    ['critical', 'high', 'moderate', 'low', 'info'].map((s) => `${s} ${counts[s] ?? 0}`).join(', '),
);
const line = (a) => `  ${a.severity.padEnd(8)} ${a.package} ${a.range}  ${a.id}  ${a.title}  ${a.url}`;
for (const { advisory, exception } of verdict.excepted) {
  console.log(`excepted until ${exception.expires}:\n${line(advisory)}\n    because: ${exception.reason}`);
}
if (verdict.below.length) console.log(`below the high threshold (not failing):\n${verdict.below.map(line).join('\n')}`);
for (const exception of verdict.unused) {
  console.log(`unused exception (remove it): ${exception.id} in ${exception.package}, until ${exception.expires}`);
}

let failed = false;
for (const problem of problems) {
  console.error(`${EXCEPTIONS_FILE}: ${problem}`);
  failed = true;
}
for (const exception of verdict.expired) {
  console.error(
    `expired exception: ${exception.id} in ${exception.package} lapsed after ${exception.expires}; ` +
      'fix the dependency, or renew the exception with a new date and reason',
  );
  failed = true;
}
if (verdict.blocking.length) {
  console.error(
    `${verdict.blocking.length} high or critical advisories without an exception:\n${verdict.blocking.map(line).join('\n')}`,
  );
  console.error(`Upgrade (npm audit fix --omit=dev), or add a dated exception to ${EXCEPTIONS_FILE}.`);
  failed = true;
}
if (!failed) console.log('audit: no high or critical advisory without a valid exception');
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// Lists the licences of the production dependencies (`npm query .prod`: what `npm ci --omit=dev`
// installs for every workspace, including the web app's bundled libraries) into docs/licences.md,
// and fails on a licence outside the allow-list in security/licences.json.
//
// Usage: node scripts/licences.mjs [--check]
//   --check  do not write docs/licences.md; fail when it differs from what would be written (CI)
// Exit codes: 0 pass, 1 a licence outside the policy or (with --check) a stale docs/licences.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { NO_LICENCE, declaredLicence, evaluateLicences, renderLicences } from './lib/licence-policy.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const POLICY_FILE = 'security/licences.json';
const DOC_FILE = 'docs/licences.md';

const check = process.argv.includes('--check');
const unknown = process.argv.slice(2).filter((arg) => arg !== '--check');
if (unknown.length) {
  console.error(`unknown argument ${unknown[0]}`);
  process.exit(2);
}

const npm = spawnSync('npm', ['query', '.prod'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
if (npm.status !== 0) {
  console.error(`npm query .prod failed (is node_modules installed?):\n${npm.stderr}`);
  process.exit(2);
}
/** @type {{ name: string; version: string; location: string; license?: unknown; licenses?: unknown }[]} */
const nodes = JSON.parse(npm.stdout);
const byId = new Map();
for (const node of nodes) {
  // The workspaces themselves (location "", "server", "web"...) are ours, not dependencies.
  if (!node.location.includes('node_modules/')) continue;
  const pkg = { name: node.name, version: node.version, licence: declaredLicence(node) };
  byId.set(`${pkg.name}@${pkg.version}`, pkg);
}
const packages = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));

const policy = JSON.parse(readFileSync(new URL(`../${POLICY_FILE}`, import.meta.url), 'utf8'));
const verdict = evaluateLicences(packages, policy);
// Formatted as `prettier --check .` (CI's lint) wants it, so the two checks never disagree.
const docPath = new URL(`../${DOC_FILE}`, import.meta.url);
const markdown = await prettier.format(renderLicences(packages, verdict.excepted), {
  ...(await prettier.resolveConfig(fileURLToPath(docPath))),
  filepath: fileURLToPath(docPath),
});

let failed = false;
if (check) {
  let current = '';
  try {
    current = readFileSync(docPath, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (current !== markdown) {
    console.error(`${DOC_FILE} is out of date: run node scripts/licences.mjs and commit it`);
    failed = true;
  }
} else {
  writeFileSync(docPath, markdown);
  console.log(`wrote ${DOC_FILE}`);
}

console.log(`${packages.length} production packages; ${verdict.excepted.length} allowed by a named exception`);
for (const pkg of verdict.excepted)
  console.log(`  exception: ${pkg.name}@${pkg.version}: ${pkg.licence ?? NO_LICENCE}`);
if (!verdict.ok) {
  console.error(`licences outside ${POLICY_FILE}:`);
  for (const pkg of verdict.violations) console.error(`  ${pkg.name}@${pkg.version}: ${pkg.licence ?? NO_LICENCE}`);
  console.error('Replace the package, or (after review) add its licence to "allow" or the package to "exceptions".');
  failed = true;
}
process.exit(failed ? 1 : 0);

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The alert rules under promtool, Prometheus's own checker: the rules parse, the example scrape
 * configuration loads them, and alerts.test.yml's cases (each rule firing over its line and quiet
 * under it) pass. A failing promtool fails CI here.
 */

const PROMETHEUS_DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));

function promtool(args: string[], cwd = PROMETHEUS_DIR) {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (run.error)
    throw new Error(`promtool could not run (install Debian's "prometheus" package): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('Prometheus alert rules (promtool)', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'lectio-promtool-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('parse, with the six rules of the issue', () => {
    const run = promtool(['check', 'rules', 'alerts.yml']);
    expect(run.output).toContain('SUCCESS: 6 rules found');
    expect(run.status, run.output).toBe(0);
  });

  it('load from the example scrape configuration', () => {
    const run = promtool(['check', 'config', 'prometheus.yml']);
    expect(run.status, run.output).toBe(0);
  });

  it('pass their unit tests', () => {
    const run = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('have tests that bite: a loosened threshold fails them', () => {
    // The same tests against rules whose error-rate line moved from 5 % to 50 %.
    const rules = readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    expect(rules).toContain('> 0.05');
    writeFileSync(path.join(scratch, 'alerts.yml'), rules.replace('> 0.05', '> 0.5'));
    copyFileSync(path.join(PROMETHEUS_DIR, 'alerts.test.yml'), path.join(scratch, 'alerts.test.yml'));
    const run = promtool(['test', 'rules', 'alerts.test.yml'], scratch);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('LectioHighErrorRate');
  });
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('npm run bench -- --help', () => {
  it('prints the usage and the scenarios, and runs none of them', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'api', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('npm run bench -- [scenario...]');
    expect(result.stdout).toMatch(/Scenarios: api, delivery, search/);
    // A scenario that started would log its command line, and fail on the unknown option.
    expect(result.stdout).not.toContain('[bench]');
    expect(result.stderr).not.toContain('unknown option');
  }, 60_000);
});

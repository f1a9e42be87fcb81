import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('web API client types', () => {
  it('match the live /openapi.json of the server (run `npm run api:gen` after changing a route)', () => {
    const result = spawnSync(process.execPath, ['scripts/api-types.mjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.stderr + result.stdout).not.toContain('out of date');
    expect(result.status).toBe(0);
  });
});

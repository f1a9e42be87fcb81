import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BenchMeta } from './meta.js';

/** The ask for every result: the commit, the machine and the exact command, in the raw JSON. */
describe('docs/benchmarks/*.json', () => {
  const dir = new URL('../../docs/benchmarks/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('holds the results of every benchmark', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'api.json',
        'delivery.json',
        'heartbeat.json',
        'scale-out.json',
        'search.json',
        'transcode.json',
      ]),
    );
  });

  it.each(files)('%s names the commit, the command and the machine of its run', (file) => {
    const { meta } = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { meta?: BenchMeta };
    expect(meta?.commit).toMatch(/^[0-9a-f]{7,40}$/);
    const bench = file.slice(0, -'.json'.length);
    // api-wrk.json is the API bench run with `--client wrk`.
    const expected =
      bench === 'api-wrk' ? /^npm run bench -- api .*--client wrk/ : new RegExp(`^npm run bench -- ${bench}`);
    expect(meta?.command).toMatch(expected);
    expect(meta?.machine.cpu).toMatch(/\S/);
    expect(meta?.machine.cores).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(meta?.date ?? ''))).toBe(false);
  });
});

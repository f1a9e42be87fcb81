import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMemoryArgs, renderMemorySection, runMemoryBench } from '../../bench/memory.js';

/**
 * The memory benchmark's smoke run: exactly the code of `npm run bench -- memory` (private
 * PostgreSQL and Redis, two API processes from server/dist started twice, with and without the heap
 * limit), on 200 courses, 1 s per load at 4 connections. Memory is not asserted against a number
 * (a 1 s load on a noisy machine proves nothing about it); that both variants ran every load with
 * only the answers they should, and that the JSON renders, is.
 */
describe('memory benchmark smoke run', { timeout: 120_000 }, () => {
  it('runs every load in both variants and renders the report', async () => {
    expect(existsSync(new URL('../dist/main/cli.js', import.meta.url)), 'build the server first').toBe(true);
    const opts = parseMemoryArgs(['--smoke']);
    expect(opts).toMatchObject({ write: false, connections: 4, durationSeconds: 1, rounds: 1 });
    const result = await runMemoryBench(opts, ['memory', '--smoke']);

    expect(result.runs.map((r) => r.variant)).toEqual(['limited', 'unbounded']);
    for (const run of result.runs) {
      expect(run.loads.map((l) => l.load)).toEqual(['list_warm', 'detail', 'search', 'login']);
      for (const l of run.loads) {
        expect({ variant: run.variant, load: l.load, unexpected: l.unexpected }).toEqual({
          variant: run.variant,
          load: l.load,
          unexpected: 0,
        });
        expect(l.requestsPerSecond, `${run.variant} ${l.load}`).toBeGreaterThan(0);
        expect(l.rssMaxMb, `${run.variant} ${l.load}`).toBeGreaterThan(20);
      }
      expect(run.rssAfterMb).toBeGreaterThan(20);
    }
    const section = renderMemorySection(JSON.parse(JSON.stringify(result)) as typeof result);
    expect(section).toBe(renderMemorySection(result));
    expect(section).toContain('## API process memory');
    expect(section).toContain('--max-old-space-size=192');
  });
});

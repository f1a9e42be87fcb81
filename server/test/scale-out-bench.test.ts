import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_API_HEAP_LIMIT_MB } from '../src/config.js';
import { parseScaleOutArgs, renderScaleOutSection, runScaleOutBench } from '../../bench/scale-out.js';

/**
 * The scale-out benchmark's smoke run: exactly the code of `npm run bench -- scale-out` (one
 * private PostgreSQL and Redis, Lectio from server/dist as one API process and one worker, then as
 * two of each, loaded by wrk), 2 s of load at 4 connections. Throughput is not asserted (a 2 s run on a noisy
 * machine proves nothing about it); that both shapes of both mixes answered every request as they
 * should, that the uncached mix had pages enough never to repeat one, and that the JSON renders
 * into the report, is.
 */
describe('scale-out benchmark smoke run', { timeout: 150_000 }, () => {
  it('loads one and two processes of each kind and renders the report', async () => {
    expect(existsSync(new URL('../dist/main/cli.js', import.meta.url)), 'build the server first').toBe(true);
    const opts = parseScaleOutArgs(['--smoke']);
    expect(opts).toMatchObject({ smoke: true, write: false });
    const result = await runScaleOutBench(opts, ['--smoke']);

    expect(result.mixes.map((m) => m.mix)).toEqual(['cached', 'uncached']);
    for (const mix of result.mixes) {
      expect(mix.shapes.map((s) => [s.apiProcesses, s.workerProcesses])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      for (const shape of mix.shapes) {
        for (const load of shape.loads) {
          expect({ load: load.name, unexpected: load.unexpected }).toEqual({ load: load.name, unexpected: 0 });
          expect(load.requests, load.name).toBeGreaterThan(0);
        }
        // Every answer's own status code was counted (wrk alone only tells 2xx/3xx from the rest).
        const [list, heartbeat] = shape.loads;
        expect(list!.statusCounts).toEqual({ '200': list!.requests });
        expect(heartbeat!.statusCounts).toEqual({ '202': heartbeat!.requests });
      }
      // Every process that answers runs under the production heap limit: the lone one as the
      // container's entrypoint starts it, the cluster's as their primary forks them.
      expect(mix.shapes.map((s) => s.apiHeapLimitsMb)).toEqual([
        [DEFAULT_API_HEAP_LIMIT_MB],
        [DEFAULT_API_HEAP_LIMIT_MB, DEFAULT_API_HEAP_LIMIT_MB],
      ]);
      expect(mix.throughputRatio).toBeGreaterThan(0);
    }
    // The uncached mix has pages of its own for each shape, enough that none is asked for twice.
    const [a, b] = result.mixes[1]!.shapes;
    expect(a!.listPages).toBeGreaterThan(a!.loads[0]!.requests);
    expect(b!.listPages).toBeGreaterThan(b!.loads[0]!.requests);
    const section = renderScaleOutSection(JSON.parse(JSON.stringify(result)) as typeof result);
    expect(section).toBe(renderScaleOutSection(result));
    expect(section).toContain('## Scale-out');
    expect(section).toContain('(b) 2 API + 2 workers');
  });
});

import { describe, expect, it } from 'vitest';
import { parseDeliveryArgs, renderDeliveryMarkdown, runDeliveryBench } from '../../bench/delivery.js';

/**
 * The delivery benchmark's smoke run (`npm run bench -- delivery --smoke`): the same ladder
 * generator, servers and load as the full run, 1 s at 4 connections, so CI notices when the edge
 * (deploy/nginx/edge.conf in front of `lectio serve --api` from the build) stops answering signed
 * segment URLs from its cache, or the static baseline stops serving the same files. Speed is not
 * asserted (a shared CI machine is too noisy); docs/benchmarks/delivery.json holds a full run.
 */
describe('delivery benchmark smoke run', { timeout: 180_000 }, () => {
  it('loads nginx static and the warm edge with the same segments; every edge answer is a cache hit', async () => {
    const opts = parseDeliveryArgs(['--smoke']);
    expect(opts).toMatchObject({ durationSeconds: 1, connections: [4], write: false });
    const json = await runDeliveryBench(opts);
    const { results } = json;

    expect(new Set(results.runs.map((r) => r.server))).toEqual(new Set(['edge', 'static_https']));
    for (const run of results.runs) {
      expect(run.requests, run.server).toBeGreaterThan(0);
      expect(run.unexpected, run.server).toBe(0);
      expect(Object.keys(run.statusCounts), run.server).toEqual(['2xx/3xx']);
      // Segments, not error pages: each answer carried about one segment's bytes.
      expect(run.megabytesPerSecond / run.requestsPerSecond, run.server).toBeGreaterThan(
        (0.5 * results.ladder.segmentBytes.min) / 1e6,
      );
    }
    const edge = results.runs.find((r) => r.server === 'edge')!;
    // The edge logged every answer as a hit on its cache, and the origin saw none of them.
    expect(Object.keys(results.edgeCache.statuses)).toEqual(['HIT']);
    expect(results.edgeCache.statuses.HIT).toBeGreaterThanOrEqual(edge.requests);
    expect(results.edgeCache.originFetchesDuringLoad).toBe(0);

    const [row] = results.summary;
    expect(row!.ratio.requestsPerSecond).toBeGreaterThan(0);
    expect(row!.ratio.cpuMsPerRequest).toBeGreaterThan(0);
    const markdown = renderDeliveryMarkdown(json);
    expect(markdown).toContain('| 4 | edge (HTTPS, cache warm) |');
  });
});

import { describe, expect, it } from 'vitest';
import { parseLargeUploadArgs, renderLargeUploadMarkdown, runLargeUploadBench } from '../../bench/large-upload.js';

const MB = 1e6;

/**
 * The large-upload benchmark's smoke run (`npm run bench -- large-upload --smoke`): a 20 MB and a
 * 120 MB video through the studio's resumable upload API of `lectio serve --api` from the build
 * (production configuration), the API's RSS sampled from /proc. An API that held a file (or its
 * assembled object) in memory would peak at least ~100 MB higher for the second one; one that
 * streams peaks the same. The multi-gigabyte run with its transcode is in
 * docs/benchmarks/large-upload.json.
 */
describe('large-upload benchmark smoke run', { timeout: 180_000 }, () => {
  it("uploads a 6× larger file without the API's peak memory growing with it", async () => {
    const opts = parseLargeUploadArgs(['--smoke']);
    expect(opts).toMatchObject({ smallBytes: 20 * MB, bigBytes: 120 * MB, transcode: false, write: false });
    const json = await runLargeUploadBench(opts);
    const { small, big } = json.results;

    expect(small.bytes).toBeGreaterThan(15 * MB);
    expect(big.bytes).toBeGreaterThan(100 * MB);
    for (const c of [small, big]) {
      expect(c.upload.apiMb).toBeGreaterThan(0);
      expect(c.upload.apiMb).toBeGreaterThanOrEqual(c.apiIdleMb);
    }
    // Each upload's growth over the API's RSS just before it: the big one runs after the small one,
    // whose heap the processes keep (their idle RSS is already higher, by 25 MB in one run), so
    // comparing peaks counted that too. What the big upload adds beyond the small one's growth is
    // memory that scales with the file: streaming adds little, holding the file ≥ 100 MB.
    const growth = (c: typeof small) => c.upload.apiMb - c.apiIdleMb;
    const extraMb = growth(big) - growth(small);
    const seen = (c: typeof small) => `${c.apiIdleMb.toFixed(0)} → ${c.upload.apiMb.toFixed(0)} MB`;
    expect(extraMb, `API idle → peak: small ${seen(small)}, big ${seen(big)}`).toBeLessThan(
      (0.5 * (big.bytes - small.bytes)) / MB,
    );
    expect(renderLargeUploadMarkdown(json)).toContain('peak RSS was');
  });
});

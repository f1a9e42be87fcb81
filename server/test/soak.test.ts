import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSoakArgs,
  renderSoakSection,
  runSoak,
  soakVerdict,
  startSoakStack,
  type SoakResult,
  type SoakSample,
  type SoakStack,
} from '../../bench/soak.js';

/**
 * The 30-second soak (`npm run bench -- soak --ci`): Lectio from server/dist in production
 * configuration, a mixed load at half its measured capacity, RSS and p99 sampled every 5 s. Fails
 * if the API's memory grows by 10 % or more after the warm-up, or p99 at the end is over twice
 * p99 at the start (medians of the first and last third of the samples, p99 floored at 10 ms, so
 * one noisy sample on a shared machine decides nothing).
 *
 * That the check can fail is shown on the same server: a preload module (this test's only, given
 * through NODE_OPTIONS to every API process) keeps 4 MiB more every 100 ms while requests carrying
 * `x-soak-leak` arrive, and a short soak with that header must be judged a leak.
 */
const LEAK = `
import diagnostics from 'node:diagnostics_channel';
const kept = [];
let lastLeaky = 0;
diagnostics.subscribe('http.server.request.start', ({ request }) => {
  if (request.headers['x-soak-leak']) lastLeaky = Date.now();
});
// While leaky requests keep coming, 4 MiB more is kept every 100 ms (up to 1 GiB): a leak that
// grows with time under load, whatever the request rate this machine manages.
setInterval(() => {
  if (Date.now() - lastLeaky < 1000 && kept.length < 256) kept.push(Buffer.alloc(4 * 2 ** 20, 1));
}, 100).unref();
`;

/** Six samples with these RSS (MB) and slowest-route p99s (ms). */
const series = (rss: number[], p99: number[]): SoakSample[] =>
  rss.map((mb, i) => {
    const route = { requestsPerSecond: 100, p50: 1, p99: p99[i]!, unexpected: 0 };
    return {
      atSeconds: 5 * (i + 1),
      rssMb: mb,
      rssMaxPerProcessMb: mb,
      p99Ms: p99[i]!,
      routes: { catalog: route, detail: route, heartbeat: route, grant: route },
    };
  });

describe('soak verdict', () => {
  it('passes one noisy sample but fails growth or a slowdown that lasts', () => {
    const flat = [300, 302, 298, 301, 303, 300];
    expect(soakVerdict(series(flat, [20, 22, 21, 90, 20, 23])).ok).toBe(true);
    expect(soakVerdict(series(flat, [3, 2, 4, 8, 9, 7])).ok).toBe(true); // under the 10 ms floor
    expect(soakVerdict(series([300, 305, 315, 325, 335, 345], [20, 20, 20, 20, 20, 20]))).toMatchObject({
      memoryOk: false,
      ok: false,
    });
    expect(soakVerdict(series(flat, [20, 22, 30, 40, 45, 50]))).toMatchObject({ p99Ok: false, ok: false });
  });
});

describe('soak (30 s)', { timeout: 240_000 }, () => {
  const opts = parseSoakArgs(['--ci']);
  let stack: SoakStack;
  let dir: string;
  let steady: SoakResult;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-soak-test-'));
    const hook = path.join(dir, 'leak.mjs');
    writeFileSync(hook, LEAK);
    stack = await startSoakStack(opts, () => undefined, { NODE_OPTIONS: `--import ${pathToFileURL(hook).href}` });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds memory and p99 steady for 30 s at half capacity', async () => {
    expect(opts).toMatchObject({ ci: true, minutes: 0.5, sampleSeconds: 5 });
    steady = await runSoak(stack, opts, ['soak', '--ci']);
    expect(steady.samples).toHaveLength(6);
    expect(steady.targetRate).toBeGreaterThan(0);
    for (const s of steady.samples) {
      for (const [route, r] of Object.entries(s.routes)) expect(r.requestsPerSecond, route).toBeGreaterThan(0);
    }
    const v = steady.verdict;
    expect({ unexpected: v.unexpected, memoryGrowth: v.memoryGrowth < 0.1, p99: v.p99Ratio <= 2 }).toEqual({
      unexpected: 0,
      memoryGrowth: true,
      p99: true,
    });
    expect(v.ok).toBe(true);
    expect(renderSoakSection(steady)).toContain('Verdict: **steady**');
  });

  it('judges a server whose memory keeps growing under load a leak', async () => {
    const leaky = await runSoak(
      stack,
      { ...opts, minutes: 0.15, sampleSeconds: 3, warmupSeconds: 1 },
      ['soak', '--ci', '(leak injected)'],
      () => undefined,
      { capacity: steady?.capacity, headers: { 'x-soak-leak': '1' }, loadNumber: 200 },
    );
    expect(leaky.verdict.memoryGrowth).toBeGreaterThanOrEqual(0.1);
    expect(leaky.verdict.memoryOk).toBe(false);
    expect(leaky.verdict.ok).toBe(false);
    expect(renderSoakSection(leaky)).toContain('**missed**');
  });
});

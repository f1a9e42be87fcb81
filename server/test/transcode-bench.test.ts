import { describe, expect, it } from 'vitest';
import { parseTranscodeArgs, renderTranscodeSection, runTranscodeBench } from '../../bench/transcode.js';

/**
 * The transcode benchmark's smoke run: the same input generator, variants and report as
 * `npm run bench -- transcode`, on a 6 s clip once, so CI notices when a change breaks the
 * per-rung baseline or the one-pass ladder stops producing the rungs the baseline does. Speed is
 * not asserted here (a shared CI machine is too noisy); the full run's numbers are in
 * docs/benchmarks.md.
 */
describe('transcode benchmark smoke run', { timeout: 240_000 }, () => {
  it('runs one pass and per-rung on the same input and reports time, ratio and bytes per rung', async () => {
    const opts = parseTranscodeArgs(['--smoke']);
    expect(opts).toMatchObject({ seconds: 6, repetitions: 1, write: false });
    const result = await runTranscodeBench(opts);

    expect(result.input).toMatchObject({ width: 1280, height: 720 });
    expect(result.input.seconds).toBeCloseTo(6, 0);
    expect(result.rungs).toEqual(['720p 1280x720', '480p 854x480', '360p 640x360']);
    for (const variant of ['one_pass', 'per_rung_sequential', 'per_rung_parallel_2'] as const) {
      expect(result.runs[variant], variant).toHaveLength(1);
      expect(result.medians[variant], variant).toBeGreaterThan(0);
    }
    expect(result.ratioSequential).toBeGreaterThan(0);
    // One pass saves only the repeated decodes: the full run measured 1.14x the CPU time for one
    // process per rung (docs/benchmarks.md). On a 6 s clip, run once, on a machine busy with the
    // other test files, ffmpeg's CPU time varies by more than that (a CI run measured 1.00), so
    // the smoke run checks that the figures are reported, not how they compare.
    expect(result.cpu.one_pass[0]).toBeGreaterThan(0);
    expect(Number.isFinite(result.cpuRatio) && result.cpuRatio > 0).toBe(true);
    expect(result.realtimeFactor).toBeGreaterThan(0);

    // Same settings, same content: the two ways give the same rungs at about the same size.
    expect(result.sizes.one_pass.map((s) => s.name)).toEqual(['720p', '480p', '360p']);
    for (const rung of result.sizes.one_pass) {
      const other = result.sizes.per_rung.find((p) => p.name === rung.name)!;
      expect(rung.bytesPerMinute).toBeGreaterThan(0);
      expect(Math.abs(rung.bytes - other.bytes) / other.bytes, rung.name).toBeLessThan(0.2);
    }
    const bytes = result.sizes.one_pass.map((s) => s.bytesPerMinute);
    expect([...bytes].sort((a, b) => b - a)).toEqual(bytes);

    const section = renderTranscodeSection(result);
    expect(section).toContain('## Transcode');
    expect(section).toMatch(/One pass is \d+\.\d\d× faster than one process per rung/);
    expect(section).toMatch(/\| 720p \| 1280×720 \| \d+\.\d\d \|/);
  });
});

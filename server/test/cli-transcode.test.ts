import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVideo, makeBadInputs } from './support/media.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'server/bin/lectio.js');

function lectio(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

interface Summary {
  renditions: {
    name: string;
    width: number;
    height: number;
    bandwidth: number;
    averageBandwidth: number;
    bytes: number;
  }[];
  durationSeconds: number;
  wallSeconds: number;
  realtimeFactor: number;
  master: string;
}

describe('lectio transcode', { timeout: 180_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lectio-cli-transcode-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the pipeline on a local file and prints the renditions, duration and speed as JSON', async () => {
    const input = await generateVideo(path.join(dir, 'lecture.mp4'), { seconds: 4, width: 854, height: 480 });
    const out = path.join(dir, 'hls');
    const result = lectio(['transcode', input, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.renditions.map((r) => `${r.name} ${r.width}x${r.height}`)).toEqual(['480p 854x480', '360p 640x360']);
    for (const r of summary.renditions) {
      expect(r.bandwidth).toBeGreaterThanOrEqual(r.averageBandwidth);
      expect(r.averageBandwidth).toBeGreaterThan(0);
      expect(r.bytes).toBeGreaterThan(0);
    }
    expect(summary.durationSeconds).toBeCloseTo(4, 0);
    expect(summary.realtimeFactor).toBeGreaterThan(0);
    expect(summary.wallSeconds).toBeGreaterThan(0);
    expect(summary.master).toBe(path.join(out, 'master.m3u8'));
    expect(existsSync(summary.master)).toBe(true);
    expect(existsSync(path.join(out, 'poster.webp'))).toBe(true);
  });

  it('exits 1 with the reason when the file is not a usable video', async () => {
    const bad = await makeBadInputs(path.join(dir, 'bad'));
    const out = path.join(dir, 'refused');
    const result = lectio(['transcode', bad.audio_only, '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('sound but no picture');
    expect(result.stderr).toContain('no_video_stream');
    expect(existsSync(out)).toBe(false);
  });
});

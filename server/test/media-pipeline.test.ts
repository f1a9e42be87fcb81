import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaPlaylist } from '../src/platform/media/video/master-playlist.js';
import { probeMedia } from '../src/platform/media/video/probe.js';
import { transcodeToHls } from '../src/platform/media/video/transcode.js';
import {
  MediaRejectedError,
  TranscodeFailedError,
  type TranscodeOptions,
  type TranscodeResult,
} from '../src/platform/media/video/types.js';
import { generateVideo, makeBadInputs, sharedMediaDir } from './support/media.js';

/**
 * The video pipeline on real files, checked the way a player would see the output: every
 * rendition read back with ffprobe (size, pixel format, keyframes at segment starts, audio).
 */

const run = promisify(execFile);
const SHARED = sharedMediaDir() ?? path.resolve(import.meta.dirname, '../../../shared/media');
const BBB = path.join(SHARED, 'bbb_720p_10s.mp4');
const RABBIT = path.join(SHARED, 'rabbit320.mp4');

let root: string;
let tempParent: string;
const options = (extra: Partial<TranscodeOptions> = {}): TranscodeOptions => ({
  tools: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' },
  limits: { maxDurationSeconds: 3600, maxLongSide: 4096 },
  timeoutMs: 120_000,
  tempDir: tempParent,
  ...extra,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lectio-media-test-'));
  tempParent = path.join(root, 'scratch');
  await mkdir(tempParent);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function ffprobeJson(args: string[]): Promise<Record<string, unknown[]>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', ...args]);
  return JSON.parse(stdout) as Record<string, unknown[]>;
}

interface SegmentStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  channels?: number;
}

interface Expectation {
  /** `WxH` of every rendition, highest first. */
  sizes: string[];
  audio: boolean;
  sourceHeight: number;
}

/** Everything a player relies on, read back from the files with ffprobe. */
async function expectPlayableLadder(out: string, result: TranscodeResult, expected: Expectation) {
  expect(result.renditions.map((r) => `${r.width}x${r.height}`)).toEqual(expected.sizes);
  const master = await readFile(path.join(out, 'master.m3u8'), 'utf8');
  const streamInfs = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  expect(streamInfs).toHaveLength(expected.sizes.length);
  for (const [i, line] of streamInfs.entries()) {
    expect(line).toMatch(/BANDWIDTH=\d+/);
    expect(line).toMatch(/AVERAGE-BANDWIDTH=\d+/);
    expect(line).toContain(`RESOLUTION=${expected.sizes[i]}`);
    expect(line).toMatch(expected.audio ? /CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/ : /CODECS="avc1\.[0-9a-f]{6}"/);
    expect(line).toMatch(/FRAME-RATE=\d+\.\d{3}/);
  }
  const bandwidths = streamInfs.map((l) => Number(/[^-]BANDWIDTH=(\d+)/.exec(`,${l}`)?.[1]));
  expect([...bandwidths].sort((a, b) => b - a)).toEqual(bandwidths);

  for (const rendition of result.renditions) {
    const [width, height] = [rendition.width, rendition.height];
    expect(Math.min(width, height)).toBeLessThanOrEqual(expected.sourceHeight);
    const dir = path.join(out, path.dirname(rendition.playlist));
    const segments = parseMediaPlaylist(await readFile(path.join(out, rendition.playlist), 'utf8'));
    expect(segments.length).toBe(rendition.segmentCount);
    for (const segment of segments) {
      expect(segment.durationSeconds).toBeLessThanOrEqual(6.5);
      const file = path.join(dir, segment.uri);
      const info = await ffprobeJson(['-show_streams', file]);
      const streams = info.streams as SegmentStream[];
      const video = streams.find((s) => s.codec_type === 'video');
      expect(video, file).toMatchObject({ codec_name: 'h264', width, height, pix_fmt: 'yuv420p' });
      const audio = streams.find((s) => s.codec_type === 'audio');
      if (expected.audio) expect(audio, file).toMatchObject({ codec_name: 'aac', channels: 2 });
      else expect(audio, file).toBeUndefined();
      const frames = await ffprobeJson([
        '-select_streams',
        'v:0',
        '-show_entries',
        'frame=key_frame,pict_type',
        '-read_intervals',
        '%+#1',
        file,
      ]);
      expect(frames.frames?.[0], `${file} starts on a keyframe`).toMatchObject({ key_frame: 1, pict_type: 'I' });
    }
  }

  const poster = await sharp(path.join(out, 'poster.jpg')).metadata();
  expect(poster.format).toBe('jpeg');
  expect(poster.width).toBeLessThanOrEqual(1280);
  expect((await sharp(path.join(out, 'poster.webp')).metadata()).format).toBe('webp');
  const vtt = await readFile(path.join(out, 'storyboard.vtt'), 'utf8');
  expect(vtt.startsWith('WEBVTT')).toBe(true);
  const cues = vtt.split('\n').filter((l) => l.startsWith('storyboard.jpg#xywh='));
  expect(cues.length).toBeGreaterThanOrEqual(Math.floor(result.durationSeconds) - 1);
  const sprite = await sharp(path.join(out, 'storyboard.jpg')).metadata();
  for (const cue of cues) {
    const [x, y, w, h] = cue.split('=')[1]!.split(',').map(Number);
    expect(x! + w!).toBeLessThanOrEqual(sprite.width!);
    expect(y! + h!).toBeLessThanOrEqual(sprite.height!);
  }
  for (const file of result.files) expect(existsSync(path.join(out, file)), file).toBe(true);
  expect(await readdir(tempParent)).toEqual([]);
}

async function transcode(name: string, source: string, extra: Partial<TranscodeOptions> = {}) {
  const out = path.join(root, 'out', name);
  const result = await transcodeToHls(source, out, options(extra));
  return { out, result };
}

describe('transcodeToHls on generated lectures', { timeout: 180_000 }, () => {
  it('a 720p lecture with sound: 720p, 480p, 360p, 6 s segments, progress up to 100', async () => {
    const source = await generateVideo(path.join(root, 'src', 'lecture.mp4'), { seconds: 8 });
    const progress: number[] = [];
    const { out, result } = await transcode('lecture', source, { onProgress: (p) => progress.push(p) });
    await expectPlayableLadder(out, result, {
      sizes: ['1280x720', '854x480', '640x360'],
      audio: true,
      sourceHeight: 720,
    });
    expect(result.renditions.every((r) => r.segmentCount === 2)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    expect(result.realtimeFactor).toBeGreaterThan(0);
    // Capped CRF: a static slide costs far less than the 720p ceiling (2.8 Mbit/s).
    expect(result.renditions[0]!.averageBandwidth).toBeLessThan(1_500_000);
  });

  it('a portrait phone video stored sideways comes out upright at every portrait rung', async () => {
    const source = await generateVideo(path.join(root, 'src', 'phone.mp4'), {
      seconds: 3,
      width: 1920,
      height: 1080,
      rotate: 90,
    });
    const { out, result } = await transcode('phone', source);
    expect(result.probe.video).toMatchObject({ rotation: 90, displayWidth: 1080, displayHeight: 1920 });
    await expectPlayableLadder(out, result, {
      sizes: ['1080x1920', '720x1280', '480x854', '360x640'],
      audio: true,
      sourceHeight: 1080,
    });
  });

  it('variable frame rate becomes a constant rate with keyframes still on segment starts', async () => {
    const source = await generateVideo(path.join(root, 'src', 'vfr.mp4'), {
      seconds: 8,
      width: 640,
      height: 360,
      vfr: true,
    });
    const { out, result } = await transcode('vfr', source);
    expect(result.probe.video.variableFrameRate).toBe(true);
    await expectPlayableLadder(out, result, { sizes: ['640x360'], audio: true, sourceHeight: 360 });
    expect(result.renditions[0]!.frameRate).toBe(30);
    const frames = await ffprobeJson([
      '-select_streams',
      'v:0',
      '-show_entries',
      'frame=pts_time',
      path.join(out, '360p', 'seg_00000.ts'),
    ]);
    const times = (frames.frames as { pts_time: string }[]).map((f) => Number(f.pts_time));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(0.05);
  });

  it('when the picture stops before the voice, the last frame is held to the end', async () => {
    const source = await generateVideo(path.join(root, 'src', 'stopped.mp4'), {
      seconds: 2,
      audioSeconds: 8,
      width: 640,
      height: 360,
    });
    const { out, result } = await transcode('stopped', source);
    expect(result.durationSeconds).toBeCloseTo(8, 0);
    await expectPlayableLadder(out, result, { sizes: ['640x360'], audio: true, sourceHeight: 360 });
    const segments = parseMediaPlaylist(await readFile(path.join(out, '360p', 'index.m3u8'), 'utf8'));
    const total = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
    expect(total).toBeGreaterThan(7.5);
    // The held frame is real video: a full frame rate to the end, not one frame and silence.
    const last = segments.at(-1)!;
    const info = await ffprobeJson([
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      path.join(out, '360p', last.uri),
    ]);
    const frames = Number((info.streams?.[0] as { nb_read_frames?: string }).nb_read_frames);
    expect(frames).toBeGreaterThanOrEqual(Math.floor(last.durationSeconds * 30) - 1);
  });

  it('a video without sound gets renditions without an audio track', async () => {
    const source = await generateVideo(path.join(root, 'src', 'silent.mp4'), {
      seconds: 3,
      width: 854,
      height: 480,
      audio: false,
    });
    const { out, result } = await transcode('silent', source);
    await expectPlayableLadder(out, result, { sizes: ['854x480', '640x360'], audio: false, sourceHeight: 480 });
  });

  it('HEVC 10-bit HDR is tone-mapped to 8-bit SDR H.264 tagged BT.709', async () => {
    const source = await generateVideo(path.join(root, 'src', 'hdr.mp4'), {
      seconds: 3,
      width: 1280,
      height: 720,
      codec: 'hevc',
      hdr: true,
    });
    const { out, result } = await transcode('hdr', source);
    expect(result.probe.video).toMatchObject({ codec: 'hevc', bitDepth: 10, hdr: true });
    await expectPlayableLadder(out, result, {
      sizes: ['1280x720', '854x480', '640x360'],
      audio: true,
      sourceHeight: 720,
    });
    const info = await ffprobeJson(['-show_streams', '-select_streams', 'v:0', path.join(out, '720p', 'seg_00000.ts')]);
    expect(info.streams?.[0]).toMatchObject({
      pix_fmt: 'yuv420p',
      color_space: 'bt709',
      color_transfer: 'bt709',
      color_primaries: 'bt709',
    });
  });

  it('VP9 in WebM with Opus sound', async () => {
    const source = await generateVideo(path.join(root, 'src', 'vp9.webm'), {
      seconds: 3,
      width: 854,
      height: 480,
      codec: 'vp9',
    });
    const { out, result } = await transcode('vp9', source);
    expect(result.probe.video.codec).toBe('vp9');
    await expectPlayableLadder(out, result, { sizes: ['854x480', '640x360'], audio: true, sourceHeight: 480 });
  });
});

describe('transcodeToHls on the shared sample clips', { timeout: 180_000 }, () => {
  it.runIf(existsSync(BBB))('bbb_720p_10s.mp4 gives a playable 720p ladder', async () => {
    const { out, result } = await transcode('bbb', BBB);
    await expectPlayableLadder(out, result, {
      sizes: ['1280x720', '854x480', '640x360'],
      audio: true,
      sourceHeight: 720,
    });
  });

  it.runIf(existsSync(RABBIT))('rabbit320.mp4 (below 360p) gives one rendition at its own size', async () => {
    const { out, result } = await transcode('rabbit', RABBIT);
    await expectPlayableLadder(out, result, { sizes: ['320x240'], audio: true, sourceHeight: 240 });
  });
});

describe('bad input is refused with a reason before any encoding', { timeout: 120_000 }, () => {
  it('each of the five kinds of bad upload gets its own reason, and nothing is written', async () => {
    const bad = await makeBadInputs(path.join(root, 'bad'));
    const codes: Record<string, string> = {};
    for (const [kind, file] of Object.entries(bad)) {
      const out = path.join(root, 'out', `bad-${kind}`);
      const error = await transcodeToHls(file, out, options()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, kind).toBeInstanceOf(MediaRejectedError);
      const rejected = error as MediaRejectedError;
      expect(rejected.message.length, kind).toBeGreaterThan(20);
      codes[kind] = rejected.code;
      expect(existsSync(out), kind).toBe(false);
    }
    expect(codes).toEqual({
      text: 'not_media',
      image: 'image_file',
      truncated: 'corrupt',
      empty: 'empty_file',
      audio_only: 'no_video_stream',
    });
    expect(await readdir(tempParent)).toEqual([]);
  });

  it('an MP4 cut off before its index is corrupt, not "not a video"', async () => {
    const whole = await generateVideo(path.join(root, 'src', 'moov-last.mp4'), { seconds: 3, width: 320, height: 240 });
    const bytes = await readFile(whole);
    const cut = path.join(root, 'src', 'moov-last-cut.mp4');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(probeMedia(cut, options())).rejects.toMatchObject({ code: 'corrupt' });
  });

  it("a missing ffprobe is a retryable failure of ours, never a refusal of the instructor's file", async () => {
    const source = await generateVideo(path.join(root, 'src', 'tools.mp4'), { seconds: 2, width: 320, height: 240 });
    const error = await probeMedia(source, {
      ...options(),
      tools: { ffmpegPath: 'ffmpeg', ffprobePath: path.join(root, 'no-such-ffprobe') },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscodeFailedError);
    expect(error).not.toBeInstanceOf(MediaRejectedError);
  });

  it('limits: too long and too large are refused with the numbers in the message', async () => {
    const source = await generateVideo(path.join(root, 'src', 'limits.mp4'), { seconds: 3, width: 640, height: 360 });
    await expect(
      probeMedia(source, { ...options(), limits: { maxDurationSeconds: 2, maxLongSide: 4096 } }),
    ).rejects.toMatchObject({ code: 'duration_too_long', message: expect.stringContaining('3 s') });
    await expect(
      probeMedia(source, { ...options(), limits: { maxDurationSeconds: 60, maxLongSide: 480 } }),
    ).rejects.toMatchObject({ code: 'resolution_too_high', message: expect.stringContaining('640×360') });
  });
});

describe('ffmpeg is stopped and everything cleaned up when a run cannot finish', { timeout: 120_000 }, () => {
  let source: string;
  let small: string;
  let wrappers: string;
  beforeAll(async () => {
    source = await generateVideo(path.join(root, 'src', 'long.mp4'), { seconds: 20 });
    small = await generateVideo(path.join(root, 'src', 'small.mp4'), { seconds: 7, width: 640, height: 360 });
    wrappers = path.join(root, 'bin');
    await mkdir(wrappers, { recursive: true });
  });

  /** An ffmpeg that records its pid (exec keeps it), so the test can see the process is gone. */
  async function recordingFfmpeg(name: string, prelude = '') {
    const pidFile = path.join(wrappers, `${name}.pid`);
    const script = path.join(wrappers, `${name}.sh`);
    await writeFile(script, `#!/bin/bash\n${prelude}\necho $$ >> '${pidFile}'\nexec ffmpeg "$@"\n`);
    await chmod(script, 0o755);
    return { script, pids: async () => (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number) };
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function expectNothingLeft(out: string, pids: number[]) {
    expect(existsSync(out)).toBe(false);
    expect(await readdir(tempParent)).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  }

  it('a timeout kills ffmpeg and leaves no output and no scratch directory', async () => {
    const ffmpeg = await recordingFfmpeg('timeout');
    const out = path.join(root, 'out', 'timeout');
    const started = Date.now();
    const error = await transcodeToHls(source, out, {
      ...options({ timeoutMs: 1_500 }),
      tools: { ffmpegPath: ffmpeg.script, ffprobePath: 'ffprobe' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscodeFailedError);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectNothingLeft(out, await ffmpeg.pids());
  });

  it('an abort (the job was cancelled or the worker is shutting down) does the same', async () => {
    const ffmpeg = await recordingFfmpeg('abort');
    const out = path.join(root, 'out', 'abort');
    const controller = new AbortController();
    const error = await transcodeToHls(source, out, {
      ...options({ signal: controller.signal, onProgress: (p) => p > 5 && controller.abort() }),
      tools: { ffmpegPath: ffmpeg.script, ffprobePath: 'ffprobe' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TranscodeFailedError', code: 'aborted' });
    await expectNothingLeft(out, await ffmpeg.pids());
  });

  it('ffmpeg dies with its worker: a SIGKILLed worker leaves no encoder running', async () => {
    const ffmpeg = await recordingFfmpeg('orphan');
    const script = path.join(root, 'worker.mts');
    const transcodeModule = path.resolve(import.meta.dirname, '../src/platform/media/video/transcode.ts');
    await writeFile(
      script,
      `import { transcodeToHls } from ${JSON.stringify(transcodeModule)};\n` +
        `await transcodeToHls(${JSON.stringify(source)}, ${JSON.stringify(path.join(root, 'out', 'orphan'))}, ` +
        `{ tools: { ffmpegPath: ${JSON.stringify(ffmpeg.script)}, ffprobePath: 'ffprobe' }, ` +
        `limits: { maxDurationSeconds: 3600, maxLongSide: 4096 }, timeoutMs: 120000, ` +
        `tempDir: ${JSON.stringify(tempParent)} });\n`,
    );
    const worker = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    try {
      // Wait until the ladder's ffmpeg (the second one: the first is the probe's decode check) runs.
      const deadline = Date.now() + 30_000;
      let pids: number[] = [];
      while (Date.now() < deadline) {
        pids = await ffmpeg.pids().catch(() => []);
        if (pids.length >= 2 && alive(pids.at(-1)!)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(pids.length).toBeGreaterThanOrEqual(2);
      worker.kill('SIGKILL');
      const gone = Date.now() + 5_000;
      while (pids.some(alive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      worker.kill('SIGKILL');
      // The killed worker could not clean up: that is the job's recovery's business, not this test's.
      await rm(path.join(root, 'out', 'orphan'), { recursive: true, force: true });
      for (const name of await readdir(tempParent))
        await rm(path.join(tempParent, name), { recursive: true, force: true });
    }
  });

  it('a full disk (file size limit) is disk_full, with no partial output left', async () => {
    // RLIMIT_FSIZE of 100 KiB: the first segment write goes over it and the kernel stops ffmpeg.
    const ffmpeg = await recordingFfmpeg('disk-full', 'ulimit -f 100');
    const out = path.join(root, 'out', 'disk-full');
    const error = await transcodeToHls(source, out, {
      ...options(),
      tools: { ffmpegPath: ffmpeg.script, ffprobePath: 'ffprobe' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TranscodeFailedError', code: 'disk_full' });
    await expectNothingLeft(out, await ffmpeg.pids());
  });

  it('a write that fails without stopping ffmpeg is still noticed (cut-off segments are never published)', async () => {
    // With SIGXFSZ ignored, writes fail with EFBIG and ffmpeg 5.1's HLS muxer still exits 0.
    const ffmpeg = await recordingFfmpeg('efbig', "trap '' XFSZ\nulimit -f 20");
    const out = path.join(root, 'out', 'efbig');
    const error = await transcodeToHls(small, out, {
      ...options(),
      tools: { ffmpegPath: ffmpeg.script, ffprobePath: 'ffprobe' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscodeFailedError);
    expect((error as TranscodeFailedError).message).toMatch(/cut off|incomplete|not written/);
    await expectNothingLeft(out, await ffmpeg.pids());
  });
});

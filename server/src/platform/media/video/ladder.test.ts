import { describe, expect, it } from 'vitest';
import { buildLadderArgs, buildPerRungArgs, h264Level, outputFrameRate, planLadder } from './ladder.js';
import type { ProbedVideoStream, ProbeResult } from './types.js';

function probe(video: Partial<ProbedVideoStream>, audio = true): ProbeResult {
  const width = video.width ?? 1920;
  const height = video.height ?? 1080;
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: 60,
    sizeBytes: 10_000_000,
    bitRate: 1_333_333,
    video: {
      index: 0,
      codec: 'h264',
      width,
      height,
      displayWidth: width,
      displayHeight: height,
      rotation: 0,
      frameRate: 30,
      variableFrameRate: false,
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      hdr: false,
      ...video,
    },
    audio: audio ? { index: 1, codec: 'aac', channels: 2, sampleRate: 48_000 } : null,
  };
}

const sizes = (p: ProbeResult) => planLadder(p).rungs.map((r) => `${r.name} ${r.width}x${r.height}`);

describe('planLadder', () => {
  it('gives a 1080p source every rung and a 720p source no rung above 720p', () => {
    expect(sizes(probe({}))).toEqual(['1080p 1920x1080', '720p 1280x720', '480p 854x480', '360p 640x360']);
    expect(sizes(probe({ width: 1280, height: 720 }))).toEqual(['720p 1280x720', '480p 854x480', '360p 640x360']);
  });

  it('never upscales: a source between rungs starts at the rung below it', () => {
    expect(sizes(probe({ width: 1600, height: 900 }))).toEqual(['720p 1280x720', '480p 854x480', '360p 640x360']);
  });

  it('keeps a portrait phone video upright, comparing its short side with the rung', () => {
    const phone = probe({ width: 1920, height: 1080, displayWidth: 1080, displayHeight: 1920, rotation: 90 });
    expect(sizes(phone)).toEqual(['1080p 1080x1920', '720p 720x1280', '480p 480x854', '360p 360x640']);
  });

  it('gives a source below 360p one rung at its own size, with even sides', () => {
    expect(sizes(probe({ width: 320, height: 240 }))).toEqual(['240p 320x240']);
    expect(sizes(probe({ width: 321, height: 181 }))).toEqual(['180p 320x180']);
  });

  it('caps each rung with a bitrate ceiling and a buffer twice as large, tighter for smaller rungs', () => {
    const rungs = planLadder(probe({})).rungs;
    for (const r of rungs) expect(r.bufsizeKbps).toBe(2 * r.maxrateKbps);
    const ceilings = rungs.map((r) => r.maxrateKbps);
    expect([...ceilings].sort((a, b) => b - a)).toEqual(ceilings);
    expect(rungs[0]!.maxrateKbps).toBeLessThanOrEqual(6000);
  });

  it('sets a GOP of one 6 s segment at the output frame rate', () => {
    expect(planLadder(probe({ frameRate: 25 })).gopFrames).toBe(150);
    expect(planLadder(probe({ frameRate: 60 })).gopFrames).toBe(180);
  });

  it('maps no audio when the source has none', () => {
    const plan = planLadder(probe({}, false));
    expect(plan.audioInput).toBeNull();
    const args = buildLadderArgs('in.mp4', 'out', plan, { preset: 'veryfast' });
    expect(args.join(' ')).not.toContain('-c:a');
    expect(args[args.indexOf('-var_stream_map') + 1]).toBe('v:0,name:1080p v:1,name:720p v:2,name:480p v:3,name:360p');
  });
});

describe('outputFrameRate', () => {
  it('halves high frame rates to 30 or below with an even cadence and keeps NTSC rates exact', () => {
    expect(outputFrameRate({ frameRate: 60, variableFrameRate: false })).toMatchObject({ num: 30, den: 1 });
    expect(outputFrameRate({ frameRate: 50, variableFrameRate: false })).toMatchObject({ num: 25, den: 1 });
    expect(outputFrameRate({ frameRate: 60000 / 1001, variableFrameRate: false })).toMatchObject({
      num: 30000,
      den: 1001,
    });
    expect(outputFrameRate({ frameRate: 24000 / 1001, variableFrameRate: false })).toMatchObject({
      num: 24000,
      den: 1001,
    });
    expect(outputFrameRate({ frameRate: 24, variableFrameRate: false })).toMatchObject({ num: 24, den: 1 });
  });

  it('uses the nominal rate of a variable-rate phone video, so the fps filter makes it constant', () => {
    expect(outputFrameRate({ frameRate: 21.3, variableFrameRate: true, nominalFrameRate: 30 }).value).toBe(30);
  });
});

describe('h264Level', () => {
  it('picks the lowest level whose frame size and macroblock rate fit', () => {
    expect(h264Level(640, 360, 30).name).toBe('3.0');
    expect(h264Level(854, 480, 30).name).toBe('3.1');
    expect(h264Level(1280, 720, 30).name).toBe('3.1');
    expect(h264Level(1920, 1080, 30).name).toBe('4.0');
    expect(h264Level(1080, 1920, 30).name).toBe('4.0');
    expect(h264Level(2560, 1080, 30).name).toBe('5.0');
  });
});

describe('buildLadderArgs', () => {
  const plan = planLadder(probe({}));
  const args = buildLadderArgs('/in/source', '/out', plan, { preset: 'veryfast' });
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('decodes once: one input, one split feeding every rung, one HLS muxer with a variant per rung', () => {
    expect(args.filter((a) => a === '-i')).toHaveLength(1);
    expect(value('-filter_complex')).toContain('split=4');
    expect(value('-var_stream_map')).toBe('v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p');
    expect(value('-hls_time')).toBe('6');
    expect(value('-hls_playlist_type')).toBe('vod');
    expect(args.at(-1)).toBe('/out/%v/index.m3u8');
    expect(value('-hls_segment_filename')).toBe('/out/%v/seg_%05d.ts');
  });

  it('reads the input as a local file whatever its name looks like (no protocol, no option)', () => {
    const odd = buildLadderArgs('-i.mp4', '/out', plan, { preset: 'veryfast' });
    expect(odd[odd.indexOf('-i') + 1]).toBe('file:-i.mp4');
    const url = buildLadderArgs('http://example.com/x.mp4', '/out', plan, { preset: 'veryfast' });
    expect(url[url.indexOf('-i') + 1]).toBe('file:http://example.com/x.mp4');
  });

  it('aligns keyframes on every 6 s boundary with no scene-cut keyframes', () => {
    expect(value('-force_key_frames')).toBe('expr:gte(t,n_forced*6)');
    expect(value('-sc_threshold')).toBe('0');
    expect(value('-g')).toBe('180');
  });

  it('encodes capped CRF per rung and stereo AAC', () => {
    expect(value('-crf:v:0')).toBe('23');
    expect(value('-maxrate:v:0')).toBe('5000k');
    expect(value('-bufsize:v:0')).toBe('10000k');
    expect(value('-maxrate:v:3')).toBe('800k');
    expect(value('-c:a')).toBe('aac');
    expect(value('-ac')).toBe('2');
  });

  it('tone-maps an HDR source to 8-bit BT.709 once, before the split', () => {
    const hdr = planLadder(
      probe({ hdr: true, colorTransfer: 'arib-std-b67', pixelFormat: 'yuv420p10le', bitDepth: 10 }),
    );
    const hdrArgs = buildLadderArgs('/in/source', '/out', hdr, { preset: 'veryfast' });
    const graph = hdrArgs[hdrArgs.indexOf('-filter_complex') + 1]!;
    expect(graph.indexOf('tonemap')).toBeGreaterThan(-1);
    expect(graph.indexOf('tonemap')).toBeLessThan(graph.indexOf('split'));
    expect(graph).toContain('tin=arib-std-b67');
    expect(hdrArgs[hdrArgs.indexOf('-color_trc') + 1]).toBe('bt709');
  });

  it('adds the poster and storyboard as outputs of the same decode', () => {
    const withImages = buildLadderArgs(
      '/in/source',
      '/out',
      plan,
      { preset: 'veryfast' },
      {
        poster: { file: '/tmp/p.png', atSeconds: 6, width: 1280, height: 720 },
        storyboard: { pattern: '/tmp/t/%04d.png', intervalSeconds: 2, width: 160, height: 90 },
      },
    );
    expect(withImages.filter((a) => a === '-i')).toHaveLength(1);
    const graph = withImages[withImages.indexOf('-filter_complex') + 1]!;
    expect(graph).toContain('split=6');
    expect(graph).toContain('fps=1/2');
    expect(withImages).toContain('/tmp/p.png');
    expect(withImages.at(-1)).toBe('/tmp/t/%04d.png');
  });

  it('per-rung baseline: one process per rung with the same encoder settings', () => {
    const perRung = buildPerRungArgs('/in/source', '/out', plan, { preset: 'veryfast' });
    expect(perRung).toHaveLength(4);
    for (const [i, a] of perRung.entries()) {
      expect(a[a.indexOf('-var_stream_map') + 1]).toBe(`v:0,a:0,name:${plan.rungs[i]!.name}`);
      expect(a[a.indexOf('-force_key_frames') + 1]).toBe('expr:gte(t,n_forced*6)');
      expect(a[a.indexOf('-crf:v:0') + 1]).toBe(String(plan.rungs[i]!.crf));
    }
  });
});

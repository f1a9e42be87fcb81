import path from 'node:path';
import { fileInput } from './ffmpeg-process.js';
import type { ProbedVideoStream, ProbeResult } from './types.js';

/**
 * The HLS ladder: which renditions a source gets and the ffmpeg arguments that make them.
 * Pure functions, so the plan and the arguments are unit-tested without running ffmpeg.
 */

export const SEGMENT_SECONDS = 6;
const MAX_FRAME_RATE = 30;

export interface LadderRung {
  /** Directory and variant name, e.g. `720p`. */
  name: string;
  width: number;
  height: number;
  /** Quality target; the ceiling below caps what a busy scene may cost. */
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
  profile: 'high' | 'main';
  /** `4.0`, the lowest H.264 level that fits the frame size and rate. */
  level: string;
  audioBitrateKbps: number;
}

export interface FrameRate {
  num: number;
  den: number;
  value: number;
}

export interface LadderPlan {
  rungs: LadderRung[];
  frameRate: FrameRate;
  /** Frames per GOP: one segment, so every segment starts on a keyframe at the same frame in every rung. */
  gopFrames: number;
  segmentSeconds: number;
  /** HDR (PQ/HLG) source: tone-mapped to SDR BT.709 once, before the split. */
  toneMap: { transfer: string } | null;
  /** `-map` specifiers into the input. */
  videoInput: string;
  audioInput: string | null;
  /** The output is tagged BT.709 (the tone-mapped path converts to it explicitly). */
  tagBt709: boolean;
  /** Seconds the picture ends before the sound: the last frame is held so every segment has video. */
  holdLastFrameSeconds: number;
}

/**
 * Lecture-tuned rungs: CRF keeps static slides cheap; the ceilings (about 60 % of what
 * Apple's authoring guide gives for general content) bound a fast-moving demo or a camera pan.
 */
const STANDARD_RUNGS = [
  { short: 1080, crf: 23, maxrateKbps: 5000, audioBitrateKbps: 128 },
  { short: 720, crf: 23, maxrateKbps: 2800, audioBitrateKbps: 128 },
  { short: 480, crf: 24, maxrateKbps: 1400, audioBitrateKbps: 96 },
  { short: 360, crf: 25, maxrateKbps: 800, audioBitrateKbps: 96 },
] as const;

/** H.264 levels (Table A-1): max macroblocks per second, max frame size in macroblocks. */
const LEVELS: readonly { name: string; idc: number; mbps: number; frameMbs: number }[] = [
  { name: '3.0', idc: 30, mbps: 40_500, frameMbs: 1_620 },
  { name: '3.1', idc: 31, mbps: 108_000, frameMbs: 3_600 },
  { name: '3.2', idc: 32, mbps: 216_000, frameMbs: 5_120 },
  { name: '4.0', idc: 40, mbps: 245_760, frameMbs: 8_192 },
  { name: '4.2', idc: 42, mbps: 522_240, frameMbs: 8_704 },
  { name: '5.0', idc: 50, mbps: 589_824, frameMbs: 22_080 },
  { name: '5.1', idc: 51, mbps: 983_040, frameMbs: 36_864 },
  { name: '5.2', idc: 52, mbps: 2_073_600, frameMbs: 36_864 },
];

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const evenDown = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** The lowest level that allows this frame size at this rate (3.0 at least: every player has it). */
export function h264Level(width: number, height: number, fps: number): { name: string; idc: number } {
  const frameMbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const level = LEVELS.find((l) => frameMbs <= l.frameMbs && frameMbs * fps <= l.mbps) ?? LEVELS[LEVELS.length - 1]!;
  return { name: level.name, idc: level.idc };
}

/**
 * Output frame rate: the source's, divided by the smallest whole number that brings it to
 * 30 or below (60 → 30, 50 → 25, 59.94 → 29.97), so motion keeps an even cadence.
 * A variable-rate source uses its nominal rate: the fps filter then makes it constant.
 */
export function outputFrameRate(
  video: Pick<ProbedVideoStream, 'frameRate' | 'variableFrameRate' | 'nominalFrameRate'>,
): FrameRate {
  let source = video.frameRate;
  const nominal = video.nominalFrameRate;
  if (video.variableFrameRate && nominal && nominal > 0 && nominal <= 120) source = nominal;
  if (!Number.isFinite(source) || source <= 0) source = MAX_FRAME_RATE;
  source = Math.max(1, source);
  const divisor = Math.max(1, Math.ceil(source / (MAX_FRAME_RATE + 0.5)));
  const fps = source / divisor;
  const ntsc = (fps * 1001) / 1000;
  if (Math.abs(ntsc - Math.round(ntsc)) < 0.01 && Math.abs(fps - Math.round(fps)) > 0.01) {
    const num = Math.round(ntsc) * 1000;
    return { num, den: 1001, value: num / 1001 };
  }
  if (Math.abs(fps - Math.round(fps)) < 0.01) return { num: Math.round(fps), den: 1, value: Math.round(fps) };
  const num = Math.round(fps * 1000);
  return { num, den: 1000, value: num / 1000 };
}

function rungSize(display: { width: number; height: number }, short: number) {
  const portrait = display.height > display.width;
  const sourceShort = portrait ? display.width : display.height;
  const sourceLong = portrait ? display.height : display.width;
  const long = even((sourceLong * short) / sourceShort);
  return portrait ? { width: short, height: long } : { width: long, height: short };
}

/**
 * Every standard rung whose short side the source can fill (never upscaled); a portrait phone
 * video keeps its orientation (its "720p" is 720 wide). A source smaller than 360p gets one
 * rung at its own size.
 */
export function planLadder(probe: ProbeResult): LadderPlan {
  const video = probe.video;
  const display = { width: video.displayWidth, height: video.displayHeight };
  const sourceShort = Math.min(display.width, display.height);
  const frameRate = outputFrameRate(video);
  const rungs: LadderRung[] = [];
  const fitting = STANDARD_RUNGS.filter((r) => r.short <= sourceShort);
  const specs =
    fitting.length > 0
      ? fitting
      : [
          {
            short: evenDown(sourceShort),
            crf: 25,
            // Scaled down from the 360p ceiling by picture area.
            maxrateKbps: Math.max(200, Math.round((800 * (evenDown(sourceShort) / 360) ** 2) / 50) * 50),
            audioBitrateKbps: 96,
          },
        ];
  for (const spec of specs) {
    const size =
      fitting.length > 0
        ? rungSize(display, spec.short)
        : {
            width: display.width >= display.height ? even(display.width * (spec.short / sourceShort)) : spec.short,
            height: display.width >= display.height ? spec.short : even(display.height * (spec.short / sourceShort)),
          };
    const level = h264Level(size.width, size.height, frameRate.value);
    rungs.push({
      name: `${spec.short}p`,
      width: size.width,
      height: size.height,
      crf: spec.crf,
      maxrateKbps: spec.maxrateKbps,
      bufsizeKbps: spec.maxrateKbps * 2,
      // High everywhere: every phone and browser of the last decade decodes it, and its 8x8
      // transform saves bits on the sharp edges of slide text.
      profile: 'high',
      level: level.name,
      audioBitrateKbps: spec.audioBitrateKbps,
    });
  }
  return {
    rungs,
    frameRate,
    gopFrames: Math.max(1, Math.round(SEGMENT_SECONDS * frameRate.value)),
    segmentSeconds: SEGMENT_SECONDS,
    toneMap: video.hdr ? { transfer: video.colorTransfer ?? 'smpte2084' } : null,
    videoInput: video.index !== undefined ? `0:${video.index}` : '0:v:0',
    audioInput: probe.audio ? (probe.audio.index !== undefined ? `0:${probe.audio.index}` : '0:a:0') : null,
    tagBt709: video.hdr,
    holdLastFrameSeconds:
      video.durationSeconds !== undefined && probe.durationSeconds - video.durationSeconds > 0.5
        ? Math.ceil((probe.durationSeconds - video.durationSeconds) * 1000) / 1000
        : 0,
  };
}

export interface EncodeSettings {
  /** x264 preset. */
  preset: string;
}

/** Extra outputs of the same decode: a poster frame and storyboard tiles, as PNG files for sharp. */
export interface ImageOutputs {
  poster?: { file: string; atSeconds: number; width: number; height: number };
  /** One PNG per tile, `pattern` with a `%04d` counter starting at 0. */
  storyboard?: { pattern: string; intervalSeconds: number; width: number; height: number };
}

/**
 * Before the split: the rate first (fewer frames for everything after), then, for HDR, one
 * tone map at the top rung's size (linear light in float is the expensive part, so it runs once,
 * on the fewest pixels that still feed every rung).
 */
function sharedChain(plan: LadderPlan, top: { width: number; height: number }): string {
  const steps = [`fps=${plan.frameRate.num}/${plan.frameRate.den}`];
  if (plan.holdLastFrameSeconds > 0) steps.push(`tpad=stop_mode=clone:stop_duration=${plan.holdLastFrameSeconds}`);
  if (plan.toneMap) {
    steps.push(
      `zscale=w=${top.width}:h=${top.height}:tin=${plan.toneMap.transfer}:pin=bt2020:min=bt2020nc:t=linear:npl=100`,
      'format=gbrpf32le',
      'zscale=p=bt709',
      'tonemap=tonemap=hable:desat=0',
      'zscale=t=bt709:m=bt709:r=tv',
      'format=yuv420p',
    );
  }
  return steps.join(',');
}

const scaleTo = (r: { width: number; height: number }) =>
  `scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p`;

function videoCodecArgs(plan: LadderPlan, rungs: readonly LadderRung[], settings: EncodeSettings): string[] {
  const args = ['-c:v', 'libx264', '-preset', settings.preset];
  rungs.forEach((r, i) => {
    args.push(
      `-profile:v:${i}`,
      r.profile,
      `-level:v:${i}`,
      r.level,
      `-crf:v:${i}`,
      String(r.crf),
      `-maxrate:v:${i}`,
      `${r.maxrateKbps}k`,
      `-bufsize:v:${i}`,
      `${r.bufsizeKbps}k`,
    );
  });
  // Keyframes at every 6 s boundary in every rung (forced by time, not by frame count, so a
  // 29.97 fps source stays aligned), no extra ones at scene cuts, closed GOPs (x264's default).
  args.push(
    '-g',
    String(plan.gopFrames),
    '-keyint_min',
    String(plan.gopFrames),
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${plan.segmentSeconds})`,
  );
  if (plan.tagBt709) args.push('-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709');
  return args;
}

function audioCodecArgs(rungs: readonly LadderRung[]): string[] {
  const args = ['-c:a', 'aac', '-ac', '2', '-ar', '48000'];
  rungs.forEach((r, i) => args.push(`-b:a:${i}`, `${r.audioBitrateKbps}k`));
  return args;
}

function hlsArgs(plan: LadderPlan, rungs: readonly LadderRung[], hlsDir: string): string[] {
  const map = rungs.map((r, i) => (plan.audioInput ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`));
  return [
    '-f',
    'hls',
    '-hls_time',
    String(plan.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    '-hls_segment_filename',
    path.join(hlsDir, '%v', 'seg_%05d.ts'),
    '-var_stream_map',
    map.join(' '),
    path.join(hlsDir, '%v', 'index.m3u8'),
  ];
}

/**
 * One ffmpeg process that decodes once and encodes every rung (plus, optionally, the poster and
 * storyboard tiles from the same frames): `-filter_complex` with one split, one HLS muxer with
 * a variant per rung writing `<hlsDir>/<rung>/index.m3u8` and `seg_00000.ts`…
 */
export function buildLadderArgs(
  input: string,
  hlsDir: string,
  plan: LadderPlan,
  settings: EncodeSettings,
  images: ImageOutputs = {},
): string[] {
  const top = plan.rungs[0]!;
  const labels = plan.rungs.map((_, i) => `s${i}`);
  if (images.poster) labels.push('sp');
  if (images.storyboard) labels.push('st');
  const graph = [
    `[${plan.videoInput}]${sharedChain(plan, top)},split=${labels.length}${labels.map((l) => `[${l}]`).join('')}`,
    ...plan.rungs.map((r, i) => `[s${i}]${scaleTo(r)}[v${i}]`),
  ];
  if (images.poster) {
    const p = images.poster;
    // Exactly one frame (the first at or after the poster time) goes on to the scaler: the output
    // stops after one frame, but ffmpeg would still push every later frame through the scaler.
    graph.push(
      `[sp]select='isnan(prev_selected_t)*gte(t\\,${p.atSeconds.toFixed(3)})',scale=${p.width}:${p.height},setsar=1,format=rgb24[poster]`,
    );
  }
  if (images.storyboard) {
    const s = images.storyboard;
    graph.push(`[st]fps=1/${s.intervalSeconds}:round=down,scale=${s.width}:${s.height},setsar=1,format=rgb24[tiles]`);
  }

  const args = ['-y', '-i', fileInput(input), '-filter_complex', graph.join(';')];
  plan.rungs.forEach((_, i) => {
    args.push('-map', `[v${i}]`);
    if (plan.audioInput) args.push('-map', plan.audioInput);
  });
  args.push(...videoCodecArgs(plan, plan.rungs, settings));
  if (plan.audioInput) args.push(...audioCodecArgs(plan.rungs));
  args.push(...hlsArgs(plan, plan.rungs, hlsDir));
  if (images.poster) {
    args.push('-map', '[poster]', '-frames:v', '1', '-update', '1', '-f', 'image2', images.poster.file);
  }
  if (images.storyboard) {
    args.push(
      '-map',
      '[tiles]',
      '-fps_mode',
      'passthrough',
      '-f',
      'image2',
      '-start_number',
      '0',
      images.storyboard.pattern,
    );
  }
  return args;
}

/**
 * The baseline the benchmark compares with: one process per rung, each decoding the source
 * itself, with the same filters, encoder settings and muxer.
 */
export function buildPerRungArgs(
  input: string,
  hlsDir: string,
  plan: LadderPlan,
  settings: EncodeSettings,
): string[][] {
  return plan.rungs.map((rung) => {
    const graph = `[${plan.videoInput}]${sharedChain(plan, plan.rungs[0]!)},${scaleTo(rung)}[v0]`;
    const args = ['-y', '-i', fileInput(input), '-filter_complex', graph, '-map', '[v0]'];
    if (plan.audioInput) args.push('-map', plan.audioInput);
    args.push(...videoCodecArgs(plan, [rung], settings));
    if (plan.audioInput) args.push(...audioCodecArgs([rung]));
    args.push(...hlsArgs(plan, [rung], hlsDir));
    return args;
  });
}

/**
 * A single still as a fallback for the poster when the ladder's poster branch saw no frame at
 * its time (a video track that ends well before the audio): the first frame, tone-mapped alike.
 */
export function buildStillArgs(
  input: string,
  plan: LadderPlan,
  still: { file: string; width: number; height: number },
): string[] {
  const graph = `[${plan.videoInput}]${sharedChain(plan, plan.rungs[0]!)},scale=${still.width}:${still.height},setsar=1,format=rgb24[still]`;
  return [
    '-y',
    '-i',
    fileInput(input),
    '-filter_complex',
    graph,
    '-map',
    '[still]',
    '-frames:v',
    '1',
    '-update',
    '1',
    '-f',
    'image2',
    still.file,
  ];
}

import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Test media made with ffmpeg at test time (lavfi sources, no files from disk), so the suite runs
 * on a fresh machine. Kept small and fast: ultrafast presets, a few seconds, modest sizes.
 */

const run = promisify(execFile);
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';

export interface GenerateVideoOptions {
  seconds?: number;
  /** Coded size; with `rotate` 90/270 the displayed picture is the other way round. */
  width?: number;
  height?: number;
  fps?: number;
  audio?: boolean;
  codec?: 'h264' | 'hevc' | 'vp9';
  pixFmt?: string;
  /** Degrees clockwise the player turns the picture (a phone's display matrix). */
  rotate?: 90 | 180 | 270;
  /** Drops frames in bursts so timestamps are irregular (average rate ≠ nominal rate). */
  vfr?: boolean;
  /** Tags the stream as HDR10 (BT.2020, PQ); pair with a 10-bit pixFmt for a realistic source. */
  hdr?: boolean;
  /**
   * x264/x265 preset; `ultrafast` by default (fast tests). The benchmark uses `veryfast` with a
   * high quality, what a screen recorder such as OBS exports, so decoding costs what it would.
   */
  preset?: string;
  crf?: number;
  /** Sound longer than the picture, as when a screen recording stops before the voice. */
  audioSeconds?: number;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ['-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });
}

let drawtextWorks: Promise<boolean> | undefined;
/** drawtext needs a font through fontconfig; a bare CI image may have none, then slides are boxes only. */
function canDrawText(): Promise<boolean> {
  drawtextWorks ??= ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=c=black:s=64x32:d=0.1',
    '-vf',
    "drawtext=text='A':fontsize=12:fontcolor=white",
    '-frames:v',
    '1',
    '-f',
    'null',
    '-',
  ]).then(
    () => true,
    () => false,
  );
  return drawtextWorks;
}

let displayRotationOption: Promise<boolean> | undefined;
/** ffmpeg ≥ 6 has `-display_rotation`; 5.1 (Debian 12) still turns the `rotate` tag into a display matrix. */
function hasDisplayRotation(): Promise<boolean> {
  displayRotationOption ??= run(FFMPEG, ['-hide_banner', '-h', 'full'], { maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout }) => stdout.includes('display_rotation'),
    () => false,
  );
  return displayRotationOption;
}

/** A lecture slide: a dark background, a title bar, bullet bars, a slowly moving pointer and a clock. */
async function slideFilter(width: number, height: number): Promise<string> {
  const parts = [
    `drawbox=x=iw*0.06:y=ih*0.08:w=iw*0.88:h=ih*0.14:color=0xf2f2f2@1:t=fill`,
    `drawbox=x=iw*0.1:y=ih*0.34:w=iw*0.6:h=ih*0.05:color=0x9fb8d8@1:t=fill`,
    `drawbox=x=iw*0.1:y=ih*0.46:w=iw*0.5:h=ih*0.05:color=0x9fb8d8@1:t=fill`,
    `drawbox=x=iw*0.1:y=ih*0.58:w=iw*0.7:h=ih*0.05:color=0x9fb8d8@1:t=fill`,
    // Every other 10 s the slide changes: a diagram box appears, as in a lecture's next slide.
    `drawbox=x=iw*0.55:y=ih*0.3:w=iw*0.35:h=ih*0.35:color=0xe07b39@1:t=fill:enable='gte(mod(t\\,20)\\,10)'`,
    // The pointer moves so the encoder has something to track, as a lecturer's cursor would.
    `drawbox=x='iw*0.1+mod(t*40,iw*0.7)':y=ih*0.72:w=iw*0.03:h=ih*0.04:color=0xffcc00@1:t=fill`,
  ];
  if (await canDrawText()) {
    const size = Math.max(10, Math.round(Math.min(width, height) / 14));
    parts.push(
      `drawtext=text='Lecture 3 - Sorting':x=w*0.09:y=h*0.11:fontsize=${size}:fontcolor=0x1e3a5f`,
      `drawtext=text='%{pts\\:hms}':x=w*0.75:y=h*0.88:fontsize=${Math.round(size * 0.7)}:fontcolor=white`,
    );
  }
  return parts.join(',');
}

/** Writes a lecture-like clip (slide with text, a tone) to `file` and returns the path. */
export async function generateVideo(file: string, opts: GenerateVideoOptions = {}): Promise<string> {
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 30;
  const audio = opts.audio ?? true;
  const codec = opts.codec ?? 'h264';
  const pixFmt = opts.pixFmt ?? (opts.hdr ? 'yuv420p10le' : 'yuv420p');
  await mkdir(path.dirname(file), { recursive: true });

  let filter = await slideFilter(width, height);
  if (opts.vfr) {
    // Drop a third of each second in one burst: nominal 30 fps, average 20 fps, uneven gaps.
    filter += `,select='not(between(mod(n\\,${fps})\\,${Math.floor(fps / 3)}\\,${Math.floor((2 * fps) / 3) - 1}))'`;
  }
  filter += `,format=${pixFmt}`;

  const args = ['-f', 'lavfi', '-i', `color=c=0x1e3a5f:s=${width}x${height}:r=${fps}:d=${seconds}`];
  const audioSeconds = opts.audioSeconds ?? seconds;
  if (audio) {
    args.push('-f', 'lavfi', '-i', `sine=frequency=220:beep_factor=3:sample_rate=48000:duration=${audioSeconds}`);
  }
  args.push('-vf', filter);
  if (opts.vfr) args.push('-fps_mode', 'vfr');
  const preset = opts.preset ?? 'ultrafast';
  if (codec === 'h264') args.push('-c:v', 'libx264', '-preset', preset);
  else if (codec === 'hevc') args.push('-c:v', 'libx265', '-preset', preset, '-x265-params', 'log-level=error');
  else args.push('-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k');
  if (opts.crf !== undefined && codec !== 'vp9') args.push('-crf', String(opts.crf));
  if (opts.hdr) {
    args.push('-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc');
  }
  if (audio) args.push('-c:a', codec === 'vp9' ? 'libopus' : 'aac', '-ac', '2');
  args.push('-t', String(Math.max(seconds, audio ? audioSeconds : 0)));

  const rotationCcw = opts.rotate ? (360 - opts.rotate) % 360 : 0;
  if (!opts.rotate) {
    await ffmpeg([...args, file]);
    return file;
  }
  if (await hasDisplayRotation()) {
    // An input option: it applies to the stream copied from the input below.
    const plain = `${file}.plain${path.extname(file)}`;
    await ffmpeg([...args, plain]);
    await ffmpeg(['-display_rotation', String(rotationCcw), '-i', plain, '-c', 'copy', file]);
    await rm(plain, { force: true });
    return file;
  }
  // ffmpeg 5.1 writes the `rotate` tag into the display matrix as an anticlockwise angle.
  const plain = `${file}.plain${path.extname(file)}`;
  await ffmpeg([...args, plain]);
  await ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotationCcw}`, file]);
  await rm(plain, { force: true });
  return file;
}

export type BadInputKind = 'text' | 'image' | 'truncated' | 'empty' | 'audio_only';

/**
 * The five kinds of bad upload the issue names, each with a `.mp4` name as an instructor's file
 * would have: a text file, a PNG, a file cut off halfway, zero bytes, and sound without a picture.
 */
export async function makeBadInputs(dir: string): Promise<Record<BadInputKind, string>> {
  await mkdir(dir, { recursive: true });
  const files: Record<BadInputKind, string> = {
    text: path.join(dir, 'notes.mp4'),
    image: path.join(dir, 'slide.mp4'),
    truncated: path.join(dir, 'cut-off.mp4'),
    empty: path.join(dir, 'empty.mp4'),
    audio_only: path.join(dir, 'podcast.mp4'),
  };
  await writeFile(
    files.text,
    'Lecture notes\n\n1. Bubble sort compares neighbours.\n2. Merge sort splits and merges.\n'.repeat(20),
  );
  await writeFile(files.empty, '');

  const png = path.join(dir, 'slide.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240', '-frames:v', '1', png]);
  await rename(png, files.image);

  // Index first (+faststart) so the container still declares 4 s: only the media data is missing,
  // which is the harder case to notice than a missing index.
  const whole = path.join(dir, 'whole.mp4');
  await generateVideo(whole, { seconds: 4, width: 320, height: 240 });
  const faststart = path.join(dir, 'whole-faststart.mp4');
  await ffmpeg(['-i', whole, '-c', 'copy', '-movflags', '+faststart', faststart]);
  const size = (await readFile(faststart)).length;
  await truncate(faststart, Math.floor(size * 0.4));
  await rename(faststart, files.truncated);
  await rm(whole, { force: true });

  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=330:sample_rate=44100:duration=3',
    '-c:a',
    'aac',
    '-f',
    'mp4',
    files.audio_only,
  ]);
  return files;
}

/**
 * The real sample clips of the development and CI machines (never copied into the project): from
 * LECTIO_SHARED_MEDIA, beside the checkout (`../shared/media`), or the workplace's fixed place, so
 * a clean clone anywhere still finds them. Undefined on a fresh machine: those cases then skip.
 */
export function sharedMediaDir(): string | undefined {
  const candidates = [
    process.env.LECTIO_SHARED_MEDIA,
    path.resolve(import.meta.dirname, '../../../../shared/media'),
    '/work/shared/media',
  ];
  return candidates.find((dir): dir is string => Boolean(dir) && existsSync(path.join(dir!, 'SOURCES.md')));
}

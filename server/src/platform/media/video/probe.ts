import { open, stat } from 'node:fs/promises';
import { fileInput, runTool } from './ffmpeg-process.js';
import {
  MediaRejectedError,
  TranscodeFailedError,
  type MediaLimits,
  type MediaTools,
  type ProbedAudioStream,
  type ProbedVideoStream,
  type ProbeResult,
} from './types.js';

export interface ProbeOptions {
  tools: MediaTools;
  limits: MediaLimits;
  signal?: AbortSignal;
  /** For each of the ffprobe run and the decode check; 60 s by default. */
  timeoutMs?: number;
}

/** The parts of `ffprobe -print_format json -show_format -show_streams` read here. */
interface FfprobeStream {
  index?: number;
  codec_name?: string;
  codec_type?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
}

const IMAGE_FORMATS = /(^|,)(image2|image2pipe|png|apng|jpeg|webp|gif|bmp|tiff|psd|svg|\w+_pipe)(,|$)/;
const IMAGE_CODECS = new Set(['png', 'mjpeg', 'jpegls', 'webp', 'gif', 'bmp', 'tiff', 'jpeg2000', 'apng', 'psd']);
const HDR_TRANSFERS = new Set(['smpte2084', 'arib-std-b67']);

const MESSAGES = {
  empty: 'The file is empty (0 bytes). The upload may have failed: please upload the video again.',
  notMedia: 'This file is not a video we can read. Upload a video file such as MP4, MOV, MKV or WebM.',
  image: 'This file is an image, not a video. Upload the lecture as a video file such as MP4, MOV or WebM.',
  audioOnly:
    'This file has sound but no picture. Upload a video file; for a slide lecture, record the screen with the voice.',
  corrupt:
    'The video file is damaged or incomplete (it may have been cut off while copying or recording). ' +
    'Export or copy it again and upload the new file.',
};

/** Reads a rational such as `30000/1001`; 0 when unknown (`0/0`). */
export function parseRate(value: string | undefined): number {
  if (!value) return 0;
  const [num, den] = value.split('/').map(Number);
  if (den === undefined) return Number.isFinite(num) ? num! : 0;
  if (!Number.isFinite(num) || !Number.isFinite(den) || den === 0) return 0;
  return num! / den;
}

/** Bits per sample from the pixel format name (`yuv420p10le` → 10); 8 for the usual formats. */
export function bitDepthOf(pixelFormat: string, bitsPerRawSample?: string): number {
  const match = /p(\d{1,2})(le|be)?$/.exec(pixelFormat);
  if (match) return Number(match[1]);
  const raw = Number(bitsPerRawSample);
  return Number.isInteger(raw) && raw > 8 ? raw : 8;
}

/**
 * Clockwise display rotation, normalised to 0/90/180/270. ffprobe's display-matrix `rotation`
 * is anticlockwise (a phone's portrait video shows -90); the old `rotate` tag is clockwise.
 */
export function rotationOf(stream: Pick<FfprobeStream, 'side_data_list' | 'tags'>): number {
  const matrix = stream.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && d.rotation !== undefined);
  let clockwise: number;
  if (matrix?.rotation !== undefined) clockwise = -matrix.rotation;
  else if (stream.tags?.rotate !== undefined) clockwise = Number(stream.tags.rotate);
  else return 0;
  if (!Number.isFinite(clockwise)) return 0;
  const quarter = Math.round(clockwise / 90) * 90;
  return ((quarter % 360) + 360) % 360;
}

/** ISO BMFF (MP4/MOV), Matroska/WebM, AVI, MPEG-TS/PS, FLV, ASF: a video container by its first bytes. */
function looksLikeVideoContainer(head: Buffer): boolean {
  const box = head.subarray(4, 8).toString('latin1');
  if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'pnot'].includes(box)) return true;
  if (head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))) return true;
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'AVI ')
    return true;
  if (head[0] === 0x47 && (head.length < 189 || head[188] === 0x47)) return true;
  if (head.subarray(0, 4).equals(Buffer.from([0x00, 0x00, 0x01, 0xba]))) return true;
  if (head.subarray(0, 3).toString('latin1') === 'FLV') return true;
  return head.subarray(0, 4).equals(Buffer.from([0x30, 0x26, 0xb2, 0x75]));
}

function looksLikeImage(head: Buffer): boolean {
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return true;
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return true;
  const ascii = head.subarray(0, 12).toString('latin1');
  return ascii.startsWith('GIF8') || (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP');
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function stopped(result: { stopped: 'timeout' | 'aborted' | null; stderrTail: string }, what: string) {
  if (result.stopped === 'aborted') return new TranscodeFailedError('aborted', `${what} was stopped on request`);
  return new TranscodeFailedError('timeout', `${what} did not finish in time`, result.stderrTail);
}

/**
 * Decodes about a second near the end: a file cut off during upload or copy keeps its header
 * (and so its declared duration) but loses the end. Cheap at any length because it seeks.
 */
async function tailDecodes(input: string, durationSeconds: number, opts: ProbeOptions): Promise<boolean> {
  const from = Math.max(0, durationSeconds - 2);
  const result = await runTool(
    opts.tools.ffmpegPath,
    [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-xerror',
      '-ss',
      from.toFixed(3),
      '-i',
      fileInput(input),
      '-t',
      '1',
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-f',
      'framecrc',
      '-',
    ],
    { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal, maxStdoutBytes: 4 * 1024 * 1024 },
  );
  if (result.stopped) throw stopped(result, 'The decode check');
  if (result.spawnError)
    throw new TranscodeFailedError('ffmpeg_failed', `could not start ffmpeg: ${result.spawnError.message}`);
  // framecrc lines are `stream, dts, pts, duration, size, crc`; stream 0 is the video.
  const videoFrames = result.stdout.split('\n').filter((line) => /^0,/.test(line)).length;
  return result.exitCode === 0 && videoFrames > 0;
}

/**
 * Reads what a file is with ffprobe and refuses what the pipeline cannot turn into a lesson,
 * with a reason an instructor can act on. Errors of our own (ffprobe missing, timeout) are
 * TranscodeFailedError so the job retries them.
 */
export async function probeMedia(input: string, opts: ProbeOptions): Promise<ProbeResult> {
  const { size } = await stat(input);
  if (size === 0) throw new MediaRejectedError('empty_file', MESSAGES.empty);

  const result = await runTool(
    opts.tools.ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', fileInput(input)],
    { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal, maxStdoutBytes: 8 * 1024 * 1024 },
  );
  if (result.stopped) throw stopped(result, 'Reading the video');
  if (result.spawnError) {
    throw new TranscodeFailedError('ffmpeg_failed', `could not start ffprobe: ${result.spawnError.message}`);
  }
  let parsed: FfprobeOutput = {};
  try {
    parsed = JSON.parse(result.stdout || '{}') as FfprobeOutput;
  } catch {
    parsed = {};
  }
  const streams = parsed.streams ?? [];
  const formatName = parsed.format?.format_name ?? '';

  if (result.exitCode !== 0 || streams.length === 0) {
    const head = await readHead(input);
    if (looksLikeImage(head)) throw new MediaRejectedError('image_file', MESSAGES.image);
    // A video container whose index or data ffprobe cannot read: an MP4 cut off before its index.
    if (looksLikeVideoContainer(head)) throw new MediaRejectedError('corrupt', MESSAGES.corrupt);
    throw new MediaRejectedError('not_media', MESSAGES.notMedia);
  }

  const videos = streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const isImage =
    IMAGE_FORMATS.test(formatName) ||
    (videos.length > 0 &&
      videos.every((s) => IMAGE_CODECS.has(s.codec_name ?? '') && Number(s.nb_frames ?? '1') <= 1) &&
      !streams.some((s) => s.codec_type === 'audio'));
  if (isImage) throw new MediaRejectedError('image_file', MESSAGES.image);

  const audioStream = streams.find((s) => s.codec_type === 'audio');
  const videoStream = videos[0];
  if (!videoStream) {
    if (audioStream) throw new MediaRejectedError('no_video_stream', MESSAGES.audioOnly);
    throw new MediaRejectedError('not_media', MESSAGES.notMedia);
  }

  const width = videoStream.width ?? 0;
  const height = videoStream.height ?? 0;
  const durationSeconds = Number(parsed.format?.duration ?? videoStream.duration ?? NaN);
  if (width <= 0 || height <= 0 || !Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new MediaRejectedError('corrupt', MESSAGES.corrupt);
  }

  const rotation = rotationOf(videoStream);
  const sar = parseRate(videoStream.sample_aspect_ratio?.replace(':', '/'));
  const shownWidth = sar > 0 && Math.abs(sar - 1) > 0.01 ? Math.round(width * sar) : width;
  const sideways = rotation === 90 || rotation === 270;
  const displayWidth = sideways ? height : shownWidth;
  const displayHeight = sideways ? shownWidth : height;

  const nominal = parseRate(videoStream.r_frame_rate);
  const average = parseRate(videoStream.avg_frame_rate);
  const frameRate = average > 0 ? average : nominal > 0 ? nominal : 30;
  const pixelFormat = videoStream.pix_fmt ?? 'unknown';
  const video: ProbedVideoStream = {
    index: videoStream.index,
    codec: videoStream.codec_name ?? 'unknown',
    width,
    height,
    displayWidth,
    displayHeight,
    rotation,
    frameRate,
    nominalFrameRate: nominal > 0 ? nominal : undefined,
    // A few percent is container rounding; a phone's variable rate or dropped frames differ more.
    variableFrameRate: nominal > 0 && average > 0 && Math.abs(nominal - average) / nominal > 0.02,
    pixelFormat,
    bitDepth: bitDepthOf(pixelFormat, videoStream.bits_per_raw_sample),
    hdr: HDR_TRANSFERS.has(videoStream.color_transfer ?? ''),
    colorTransfer: videoStream.color_transfer,
    durationSeconds: Number(videoStream.duration) > 0 ? Number(videoStream.duration) : undefined,
  };
  const audio: ProbedAudioStream | null = audioStream
    ? {
        index: audioStream.index,
        codec: audioStream.codec_name ?? 'unknown',
        channels: audioStream.channels ?? 2,
        sampleRate: Number(audioStream.sample_rate ?? 48_000),
      }
    : null;

  if (durationSeconds > opts.limits.maxDurationSeconds) {
    throw new MediaRejectedError(
      'duration_too_long',
      `The video is ${formatDuration(durationSeconds)} long; the longest video accepted is ` +
        `${formatDuration(opts.limits.maxDurationSeconds)}. Split it into shorter lessons.`,
    );
  }
  const longSide = Math.max(displayWidth, displayHeight);
  if (longSide > opts.limits.maxLongSide) {
    throw new MediaRejectedError(
      'resolution_too_high',
      `The video is ${displayWidth}×${displayHeight}; the largest accepted is ${opts.limits.maxLongSide} pixels ` +
        'on the long side. Export it at 1080p or 4K and upload it again.',
    );
  }

  // The picture may end before the sound (a screen recording stopped early): check the end of
  // the video track itself when the container says where that is.
  if (!(await tailDecodes(input, video.durationSeconds ?? durationSeconds, opts)))
    throw new MediaRejectedError('corrupt', MESSAGES.corrupt);

  return {
    formatName,
    durationSeconds,
    sizeBytes: size,
    bitRate: Number(parsed.format?.bit_rate ?? 0) || Math.round((size * 8) / durationSeconds),
    video,
    audio,
  };
}

function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return s ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

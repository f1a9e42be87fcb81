/**
 * The video pipeline's contract: framework-free (no Fastify, no database, no queue), so the job
 * handler, the `lectio transcode` CLI and the benchmark all run the same code. Inspired by
 * PeerTube's packages/ffmpeg: options carry the logger, temp dir and progress callback.
 */

/** Why an input is refused. Stable codes: stored on the video row and shown translated. */
export type MediaRejectionCode =
  | 'empty_file'
  | 'not_media'
  /** A picture (PNG, JPEG, …), told apart from not_media so the instructor knows what went wrong. */
  | 'image_file'
  | 'no_video_stream'
  | 'corrupt'
  | 'duration_too_long'
  | 'resolution_too_high';

/** A permanent refusal: retrying cannot help, so the job must not retry. */
export class MediaRejectedError extends Error {
  readonly permanent = true;
  constructor(
    readonly code: MediaRejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaRejectedError';
  }
}

/** ffmpeg ran out of time, was aborted, or failed for a reason that a retry may fix. */
export class TranscodeFailedError extends Error {
  constructor(
    readonly code: 'timeout' | 'aborted' | 'ffmpeg_failed' | 'disk_full',
    message: string,
    readonly stderrTail = '',
  ) {
    super(message);
    this.name = 'TranscodeFailedError';
  }
}

export interface ProbedVideoStream {
  /** Stream index in the input, for `-map 0:<index>`; absent means the first video stream. */
  index?: number;
  codec: string;
  /** Coded size, before rotation. */
  width: number;
  height: number;
  /** Size as displayed (rotation and sample aspect applied): what the ladder compares against. */
  displayWidth: number;
  displayHeight: number;
  /** Degrees clockwise from the display matrix or rotate tag: 0, 90, 180, 270. */
  rotation: number;
  /** Average frames per second. */
  frameRate: number;
  /** ffprobe's r_frame_rate: the rate the stream is timed at, above the average when frames are dropped. */
  nominalFrameRate?: number;
  variableFrameRate: boolean;
  pixelFormat: string;
  bitDepth: number;
  /** PQ or HLG transfer (needs tone mapping to SDR). */
  hdr: boolean;
  /** Length of the video track when the container gives it; may be shorter than the sound. */
  durationSeconds?: number;
  /** ffprobe's color_transfer (`smpte2084`, `arib-std-b67`, `bt709`, …), when the file says. */
  colorTransfer?: string;
}

export interface ProbedAudioStream {
  /** Stream index in the input; absent means the first audio stream. */
  index?: number;
  codec: string;
  channels: number;
  sampleRate: number;
}

export interface ProbeResult {
  formatName: string;
  durationSeconds: number;
  sizeBytes: number;
  bitRate: number;
  video: ProbedVideoStream;
  audio: ProbedAudioStream | null;
}

export interface MediaLimits {
  maxDurationSeconds: number;
  /** Longest side of the displayed picture. */
  maxLongSide: number;
}

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

export interface MediaLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface TranscodeOptions {
  tools: MediaTools;
  limits: MediaLimits;
  /** Whole-run timeout for each ffmpeg process. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** 0–100, throttled by the caller as it likes. */
  onProgress?: (percent: number) => void;
  logger?: MediaLogger;
  /** x264 preset; 'veryfast' by default (lectures are simple content, speed matters more). */
  preset?: string;
  /** Parent of the scratch directory; os.tmpdir() by default. */
  tempDir?: string;
}

export interface RenditionOutput {
  name: string;
  width: number;
  height: number;
  /** Peak bits per second over the segments (the playlist's BANDWIDTH). */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  frameRate: number;
  /** Relative to the output directory, e.g. `720p/index.m3u8`. */
  playlist: string;
  segmentCount: number;
  bytes: number;
}

/** Relative file names, like every path in a TranscodeResult. */
export interface PosterOutput {
  jpeg: string;
  webp: string;
  width: number;
  height: number;
}

/** A sprite of tiles and its WebVTT index (`storyboard.jpg#xywh=…` cues). */
export interface StoryboardOutput {
  vtt: string;
  sprite: string;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  intervalSeconds: number;
}

export interface TranscodeResult {
  probe: ProbeResult;
  durationSeconds: number;
  /** Relative to the output directory: `master.m3u8`. */
  masterPlaylist: string;
  renditions: RenditionOutput[];
  poster: PosterOutput;
  storyboard: StoryboardOutput;
  /** Every file written, relative to the output directory (what the publisher uploads). */
  files: string[];
  wallSeconds: number;
  /** Seconds of video per second of wall time for the ladder encode. */
  realtimeFactor: number;
}

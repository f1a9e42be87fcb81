import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The master playlist, written from what was actually encoded (segment sizes and durations, the
 * SPS of the first segment) rather than from the settings: players choose rungs by these numbers.
 */

export interface MediaSegment {
  uri: string;
  durationSeconds: number;
}

/** Reads the segments of a media playlist (`#EXTINF:<seconds>,` followed by the URI). */
export function parseMediaPlaylist(text: string): MediaSegment[] {
  const segments: MediaSegment[] = [];
  let pending: number | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
      pending = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line && !line.startsWith('#') && pending !== null) {
      segments.push({ uri: line, durationSeconds: pending });
      pending = null;
    }
  }
  return segments;
}

export interface SegmentStats {
  bytes: number;
  durationSeconds: number;
}

/**
 * A segment shorter than this (the tail of the video) is left out of the peak: one keyframe in a
 * tenth of a second reads as a huge rate that no player ever needs to sustain.
 */
const MIN_PEAK_SEGMENT_SECONDS = 1;

/** BANDWIDTH is the peak segment rate, AVERAGE-BANDWIDTH the whole rendition's rate (RFC 8216 §4.3.4.2). */
export function bandwidthOf(segments: readonly SegmentStats[]): { bandwidth: number; averageBandwidth: number } {
  const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  const totalSeconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  const averageBandwidth = totalSeconds > 0 ? Math.ceil((totalBytes * 8) / totalSeconds) : 0;
  const candidates = segments.filter((s) => s.durationSeconds >= MIN_PEAK_SEGMENT_SECONDS);
  const peak = (candidates.length > 0 ? candidates : segments).reduce(
    (max, s) => (s.durationSeconds > 0 ? Math.max(max, (s.bytes * 8) / s.durationSeconds) : max),
    0,
  );
  return { bandwidth: Math.max(averageBandwidth, Math.ceil(peak)), averageBandwidth };
}

/** `avc1.PPCCLL` (RFC 6381): profile_idc, constraint flags and level_idc from the SPS. */
export function avc1Codec(profileIdc: number, constraints: number, levelIdc: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex(profileIdc)}${hex(constraints)}${hex(levelIdc)}`;
}

/**
 * Finds the first H.264 SPS (NAL type 7) in an MPEG-TS segment and returns its codec string.
 * The SPS follows a start code; its first three bytes are profile, constraints, level. Reading
 * past TS packet headers is safe here: x264 writes the SPS at the start of the first keyframe's
 * PES payload, within the first packet.
 */
export function findAvcCodec(data: Buffer): string | null {
  for (let i = 0; i + 6 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1 && (data[i + 3]! & 0x1f) === 7) {
      return avc1Codec(data[i + 4]!, data[i + 5]!, data[i + 6]!);
    }
  }
  return null;
}

export interface RenditionStats {
  name: string;
  width: number;
  height: number;
  frameRate: number;
  /** Relative to the master's directory. */
  playlist: string;
  hasAudio: boolean;
  /** Used when the segment's SPS cannot be read. */
  fallbackCodec: string;
}

export interface MeasuredRendition extends RenditionStats {
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  segmentCount: number;
  bytes: number;
  /** Relative to the master's directory. */
  segments: string[];
  /** The longest segment, to check the 6 s target. */
  maxSegmentSeconds: number;
}

async function readStart(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * ffmpeg's HLS muxer (5.1) ignores failed writes and exits 0 with cut-off segments when the disk
 * fills up, so the output is checked rather than trusted.
 */
export class OutputIncompleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputIncompleteError';
  }
}

const TS_PACKET = 188;

/** Reads a rendition's playlist and segments from disk; throws OutputIncompleteError on a cut-off file. */
export async function measureRendition(dir: string, rendition: RenditionStats): Promise<MeasuredRendition> {
  const playlistPath = path.join(dir, rendition.playlist);
  const playlistDir = path.dirname(rendition.playlist);
  let text: string;
  try {
    text = await readFile(playlistPath, 'utf8');
  } catch {
    throw new OutputIncompleteError(`${rendition.playlist} was not written`);
  }
  const segments = parseMediaPlaylist(text);
  if (segments.length === 0 || !text.includes('#EXT-X-ENDLIST')) {
    throw new OutputIncompleteError(`${rendition.playlist} is incomplete`);
  }
  const stats: SegmentStats[] = [];
  for (const segment of segments) {
    const file = path.join(playlistDir, segment.uri);
    const size = await stat(path.join(dir, file)).then(
      (s) => s.size,
      () => 0,
    );
    // An MPEG-TS file is whole 188-byte packets; anything else was cut off mid-write.
    if (size === 0 || size % TS_PACKET !== 0) throw new OutputIncompleteError(`${file} is cut off (${size} bytes)`);
    stats.push({ bytes: size, durationSeconds: segment.durationSeconds });
  }
  const video = findAvcCodec(await readStart(path.join(dir, playlistDir, segments[0]!.uri), 64 * 1024));
  const codecs = [video ?? rendition.fallbackCodec, ...(rendition.hasAudio ? ['mp4a.40.2'] : [])].join(',');
  return {
    ...rendition,
    ...bandwidthOf(stats),
    codecs,
    segmentCount: segments.length,
    bytes: stats.reduce((sum, s) => sum + s.bytes, 0),
    segments: segments.map((s) => path.posix.join(playlistDir, s.uri)),
    maxSegmentSeconds: Math.max(...segments.map((s) => s.durationSeconds)),
  };
}

/** The master playlist text, highest rung first (the order players try when they know nothing yet). */
export function renderMasterPlaylist(renditions: readonly MeasuredRendition[]): string {
  const ordered = [...renditions].sort((a, b) => b.width * b.height - a.width * a.height || b.bandwidth - a.bandwidth);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of ordered) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},` +
        `RESOLUTION=${r.width}x${r.height},CODECS="${r.codecs}",FRAME-RATE=${r.frameRate.toFixed(3)}`,
      r.playlist,
    );
  }
  return `${lines.join('\n')}\n`;
}

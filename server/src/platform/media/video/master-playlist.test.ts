import { describe, expect, it } from 'vitest';
import {
  avc1Codec,
  bandwidthOf,
  findAvcCodec,
  parseMediaPlaylist,
  renderMasterPlaylist,
  type MeasuredRendition,
} from './master-playlist.js';

describe('media playlist and bandwidth', () => {
  it('reads segment durations and names', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:6',
      '#EXTINF:6.000000,',
      'seg_00000.ts',
      '#EXTINF:2.500000,',
      'seg_00001.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    expect(parseMediaPlaylist(text)).toEqual([
      { uri: 'seg_00000.ts', durationSeconds: 6 },
      { uri: 'seg_00001.ts', durationSeconds: 2.5 },
    ]);
  });

  it('BANDWIDTH is the peak segment rate, AVERAGE-BANDWIDTH the overall rate', () => {
    const result = bandwidthOf([
      { bytes: 600_000, durationSeconds: 6 },
      { bytes: 1_200_000, durationSeconds: 6 },
      { bytes: 300_000, durationSeconds: 6 },
    ]);
    expect(result).toEqual({ bandwidth: 1_600_000, averageBandwidth: 933_334 });
  });

  it('a tiny last segment does not inflate the peak', () => {
    const result = bandwidthOf([
      { bytes: 600_000, durationSeconds: 6 },
      { bytes: 60_000, durationSeconds: 0.1 },
    ]);
    // The tail alone runs at 4.8 Mbit/s; BANDWIDTH never goes below AVERAGE-BANDWIDTH.
    expect(result).toEqual({ bandwidth: 865_574, averageBandwidth: 865_574 });
  });

  it('reads the codec string from the SPS in a segment', () => {
    const ts = Buffer.concat([Buffer.alloc(20, 0xff), Buffer.from([0, 0, 0, 1, 0x67, 0x64, 0x00, 0x28, 0xac])]);
    expect(findAvcCodec(ts)).toBe('avc1.640028');
    expect(findAvcCodec(Buffer.alloc(100, 0xff))).toBeNull();
    expect(avc1Codec(0x4d, 0x40, 31)).toBe('avc1.4d401f');
  });

  it('writes every attribute players choose by, highest rung first', () => {
    const rendition = (name: string, width: number, height: number, bandwidth: number): MeasuredRendition => ({
      name,
      width,
      height,
      frameRate: 30000 / 1001,
      playlist: `${name}/index.m3u8`,
      hasAudio: true,
      fallbackCodec: 'avc1.64001f',
      bandwidth,
      averageBandwidth: Math.round(bandwidth * 0.7),
      codecs: 'avc1.64001f,mp4a.40.2',
      segmentCount: 2,
      bytes: 1000,
      segments: [],
      maxSegmentSeconds: 6,
    });
    const text = renderMasterPlaylist([rendition('360p', 640, 360, 500_000), rendition('720p', 1280, 720, 2_000_000)]);
    expect(text.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1400000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=29.970',
      '720p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=350000,RESOLUTION=640x360,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=29.970',
      '360p/index.m3u8',
      '',
    ]);
  });
});

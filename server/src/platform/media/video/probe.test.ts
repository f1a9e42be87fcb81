import { describe, expect, it } from 'vitest';
import { progressParser } from './ffmpeg-process.js';
import { bitDepthOf, parseRate, rotationOf } from './probe.js';

describe('reading ffprobe and ffmpeg output', () => {
  it('reads rates, bit depth and clockwise rotation as ffprobe reports them', () => {
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('0/0')).toBe(0);
    expect(bitDepthOf('yuv420p10le')).toBe(10);
    expect(bitDepthOf('yuv420p')).toBe(8);
    expect(bitDepthOf('nv12')).toBe(8);
    // ffprobe's display matrix angle is anticlockwise: a phone held upright reports -90.
    expect(rotationOf({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })).toBe(90);
    expect(rotationOf({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] })).toBe(270);
    expect(rotationOf({ tags: { rotate: '180' } })).toBe(180);
    expect(rotationOf({})).toBe(0);
  });

  it('turns -progress output into a rising percentage, even when lines arrive split', () => {
    const seen: number[] = [];
    const feed = progressParser(10, (p) => seen.push(p));
    feed('frame=10\nout_time_us=2500');
    feed('000\nprogress=continue\nout_time_us=5000000\n');
    feed('out_time_us=N/A\nprogress=end\n');
    expect(seen).toEqual([25, 50, 100]);
  });
});

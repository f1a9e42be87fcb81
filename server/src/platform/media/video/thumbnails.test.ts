import { describe, expect, it } from 'vitest';
import { planPoster, planStoryboard, renderStoryboardVtt, storyboardLayout, vttTime } from './thumbnails.js';

describe('storyboard and poster plans', () => {
  it('one tile a second for short videos, at most 100 tiles for long ones', () => {
    expect(planStoryboard(60, { width: 1280, height: 720 })).toEqual({
      intervalSeconds: 1,
      tileWidth: 160,
      tileHeight: 90,
    });
    const long = planStoryboard(2 * 3600, { width: 1920, height: 1080 });
    expect(long.intervalSeconds).toBe(72);
    expect(storyboardLayout(long, 7200, 101)).toMatchObject({ count: 100, columns: 10, rows: 10 });
  });

  it('a portrait video gets portrait tiles and a poster no larger than 1280', () => {
    expect(planStoryboard(10, { width: 1080, height: 1920 })).toMatchObject({ tileWidth: 90, tileHeight: 160 });
    expect(planPoster(100, { width: 1920, height: 1080 })).toEqual({ atSeconds: 10, width: 1280, height: 720 });
    expect(planPoster(4, { width: 640, height: 360 })).toEqual({ atSeconds: 1, width: 640, height: 360 });
  });

  it('writes a WebVTT cue per tile pointing into the sprite', () => {
    const layout = storyboardLayout({ intervalSeconds: 5, tileWidth: 160, tileHeight: 90 }, 12, 3);
    expect(layout).toMatchObject({ count: 3, columns: 3, rows: 1 });
    expect(renderStoryboardVtt(layout, 12, 'storyboard.jpg')).toBe(
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:05.000',
        'storyboard.jpg#xywh=0,0,160,90',
        '',
        '00:00:05.000 --> 00:00:10.000',
        'storyboard.jpg#xywh=160,0,160,90',
        '',
        '00:00:10.000 --> 00:00:12.000',
        'storyboard.jpg#xywh=320,0,160,90',
        '',
      ].join('\n'),
    );
    expect(vttTime(3725.5)).toBe('01:02:05.500');
  });
});

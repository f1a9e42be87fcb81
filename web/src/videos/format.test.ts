import { describe, expect, it } from 'vitest';
import { formatClock, formatSpeed, formatTimeLeft } from './format';

describe('upload figures', () => {
  it('writes speed in megabytes per second in each language', () => {
    expect(formatSpeed(2_540_000, 'en')).toBe('2.5 MB/s');
    expect(formatSpeed(2_540_000, 'ko')).toMatch(/^2\.5\s?MB\/s$/);
  });

  it('writes time left with the two largest units', () => {
    expect(formatTimeLeft(45, 'en')).toBe('45 sec');
    expect(formatTimeLeft(185, 'en')).toBe('3 min 5 sec');
    expect(formatTimeLeft(180, 'en')).toBe('3 min');
    expect(formatTimeLeft(3_725, 'en')).toBe('1 hr 2 min');
    expect(formatTimeLeft(65, 'ko')).toBe('1분 5초');
  });

  it('writes a video length as a player clock', () => {
    expect(formatClock(12)).toBe('0:12');
    expect(formatClock(725)).toBe('12:05');
    expect(formatClock(3_729)).toBe('1:02:09');
  });
});

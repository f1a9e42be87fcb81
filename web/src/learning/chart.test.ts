import { describe, expect, it } from 'vitest';
import {
  formatShare,
  linearScale,
  normalisePoints,
  retentionGeometry,
  shareAt,
  tableSeconds,
  timeTicks,
} from './chart';

describe('linearScale', () => {
  it('maps the domain onto the range, inverted ranges included', () => {
    const x = linearScale([0, 100], [40, 440]);
    expect(x(0)).toBe(40);
    expect(x(50)).toBe(240);
    expect(x(100)).toBe(440);
    const y = linearScale([0, 1], [200, 10]);
    expect(y(0)).toBe(200);
    expect(y(1)).toBe(10);
    expect(y(0.5)).toBe(105);
  });

  it('puts everything at the start of the range when the domain is empty', () => {
    expect(linearScale([5, 5], [0, 300])(5)).toBe(0);
  });
});

describe('timeTicks', () => {
  it.each([
    [24, 10, [0, 5, 10, 15, 20]],
    [24, 3, [0, 10, 20]],
    [60, 7, [0, 10, 20, 30, 40, 50, 60]],
    [600, 6, [0, 120, 240, 360, 480, 600]],
    [3725, 5, [0, 900, 1800, 2700, 3600]],
    [9, 20, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ])('%i s with at most %i ticks → %j', (duration, maxTicks, expected) => {
    expect(timeTicks(duration, maxTicks)).toEqual(expected);
  });

  it('never gives more ticks than asked, down to two', () => {
    for (const duration of [1, 7, 59, 61, 599, 3601, 7200, 36_000]) {
      for (const maxTicks of [2, 3, 5, 8, 12]) {
        const ticks = timeTicks(duration, maxTicks);
        expect(ticks.length, `${duration}/${maxTicks}`).toBeLessThanOrEqual(maxTicks);
        expect(ticks[0]).toBe(0);
        expect(ticks.at(-1)).toBeLessThanOrEqual(duration);
      }
    }
  });

  it('has a single tick for a video without a duration', () => {
    expect(timeTicks(0, 5)).toEqual([0]);
    expect(timeTicks(Number.NaN, 5)).toEqual([0]);
  });

  it('gives the data table about ten rows', () => {
    expect(tableSeconds(24)).toEqual([0, 5, 10, 15, 20]);
    expect(tableSeconds(600)).toEqual([0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
  });
});

describe('shareAt', () => {
  const points = [
    { second: 0, share: 1 },
    { second: 10, share: 0.5 },
    { second: 20, share: 0.25 },
  ];

  it('reads the measured point nearest to the second', () => {
    expect(shareAt(points, 0)).toBe(1);
    expect(shareAt(points, 4)).toBe(1);
    expect(shareAt(points, 6)).toBe(0.5);
    expect(shareAt(points, 19)).toBe(0.25);
    expect(shareAt(points, 99)).toBe(0.25);
  });

  it('is 0 without points', () => {
    expect(shareAt([], 3)).toBe(0);
  });
});

describe('normalisePoints', () => {
  it('sorts, clamps shares and drops points outside the video', () => {
    expect(
      normalisePoints(
        [
          { second: 20, share: 1.2 },
          { second: -1, share: 1 },
          { second: 5, share: -0.1 },
          { second: 31, share: 0.5 },
        ],
        30,
      ),
    ).toEqual([
      { second: 5, share: 0 },
      { second: 20, share: 1 },
    ]);
  });
});

describe('retentionGeometry', () => {
  const box = { width: 440, height: 220, margin: { top: 10, right: 0, bottom: 30, left: 40 } };

  it('draws the curve inside the plot area, top = 100 %, bottom = 0 %', () => {
    const geometry = retentionGeometry(
      [
        { second: 0, share: 1 },
        { second: 50, share: 0.5 },
        { second: 100, share: 0 },
      ],
      100,
      box,
      'en',
    );
    expect(geometry.plot).toEqual({ left: 40, top: 10, right: 440, bottom: 190 });
    expect(geometry.linePath).toBe('M40,10L240,100L440,190');
    expect(geometry.areaPath).toBe('M40,10L240,100L440,190L440,190L40,190Z');
  });

  it('labels the time axis in m:ss and the share axis in percent', () => {
    const geometry = retentionGeometry([], 600, box, 'en');
    expect(geometry.linePath).toBe('');
    expect(geometry.areaPath).toBe('');
    // 400 px of plot: six labels at most, so two-minute steps.
    expect(geometry.xTicks.map((tick) => tick.label)).toEqual(['0:00', '2:00', '4:00', '6:00', '8:00', '10:00']);
    expect(geometry.xTicks.map((tick) => tick.position)).toEqual([40, 120, 200, 280, 360, 440]);
    expect(geometry.yTicks.map((tick) => [tick.label, tick.position])).toEqual([
      ['0%', 190],
      ['25%', 145],
      ['50%', 100],
      ['75%', 55],
      ['100%', 10],
    ]);
  });

  it('uses fewer time labels on a narrow screen', () => {
    const narrow = retentionGeometry([], 600, { ...box, width: 220 }, 'en');
    expect(narrow.xTicks.map((tick) => tick.label)).toEqual(['0:00', '5:00', '10:00']);
  });
});

describe('formatShare', () => {
  it('writes whole percents in the reader’s language', () => {
    expect(formatShare(0.426, 'en')).toBe('43%');
    expect(formatShare(1, 'ko')).toBe('100%');
  });
});

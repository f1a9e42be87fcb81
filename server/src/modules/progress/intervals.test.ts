import { describe, expect, it } from 'vitest';
import {
  coverageFraction,
  coveredSeconds,
  isCoverageComplete,
  mergeIntervals,
  normalizeIntervals,
  playedSeconds,
  retentionCurve,
} from './intervals.js';

describe('watched intervals', () => {
  it('normalises: clips to the duration, drops empty, reversed and non-finite ranges, rounds to ms', () => {
    expect(
      normalizeIntervals(
        [
          [-5, 3],
          [4, 4],
          [9, 7],
          [38, 45],
          [1.23456, 2],
          [Number.NaN, 3],
        ],
        40,
      ),
    ).toEqual([
      [0, 3],
      [38, 40],
      [1.235, 2],
    ]);
  });

  it('merges overlapping and touching ranges, in any order', () => {
    expect(
      mergeIntervals(
        [
          [20, 30],
          [0, 10],
        ],
        [
          [10, 12],
          [25, 35],
          [50, 60],
        ],
      ),
    ).toEqual([
      [0, 12],
      [20, 35],
      [50, 60],
    ]);
    // The union is idempotent: merging a result with itself or a part of it changes nothing.
    const once = mergeIntervals([
      [0, 5],
      [7, 9],
    ]);
    expect(mergeIntervals(once, once, [[1, 2]])).toEqual(once);
  });

  it('returns a union it is given as a copy, and still merges, clips and rounds one that is not', () => {
    const union: [number, number][] = [
      [0, 5],
      [7, 9.5],
    ];
    const copy = mergeIntervals(union, []);
    expect(copy).toEqual(union);
    copy[0]![1] = 100;
    expect(union[0]).toEqual([0, 5]);
    expect(mergeIntervals([], [])).toEqual([]);
    // Each of these fails one property of a union, so it takes the full merge.
    expect(
      mergeIntervals([
        [0, 5],
        [5, 9],
      ]),
    ).toEqual([[0, 9]]);
    expect(
      mergeIntervals([
        [7, 9],
        [0, 5],
      ]),
    ).toEqual([
      [0, 5],
      [7, 9],
    ]);
    expect(mergeIntervals([[0.12345, 2]])).toEqual([[0.123, 2]]);
    expect(
      mergeIntervals([
        [-3, 2],
        [4, 4],
        [6, Number.NaN],
      ]),
    ).toEqual([[0, 2]]);
    expect(mergeIntervals([[0, 1, 2] as unknown as [number, number]])).toEqual([]);
  });

  it('counts covered seconds once, played seconds with replays, and coverage against the duration', () => {
    const watched: [number, number][] = [
      [0, 10],
      [5, 15],
      [30, 40],
    ];
    expect(playedSeconds(watched)).toBe(30);
    expect(coveredSeconds(watched)).toBe(25); // [0,15] + [30,40]
    expect(coverageFraction(watched, 50)).toBe(0.5);
    expect(coverageFraction(watched, 0)).toBe(0);
  });

  it('is complete at 90 % coverage, not at the furthest position', () => {
    // Seeking to the end and watching 30 s of a 40 s video: position 40, coverage 75 %.
    expect(isCoverageComplete([[10, 40]], 40)).toBe(false);
    // 36 of 40 s is exactly 90 %.
    expect(isCoverageComplete([[0, 36]], 40)).toBe(true);
    expect(isCoverageComplete([[0, 35.9]], 40)).toBe(false);
  });
});

describe('retentionCurve', () => {
  it('matches the shares worked out by hand', () => {
    // A 100 s video sampled at 5 points: seconds 0, 20, 40, 60, 80 (i × 100 / 5).
    // A sample s is covered by [start, end) when start ≤ s < end.
    const viewers: [number, number][][] = [
      // A watched everything:                          covers 0, 20, 40, 60, 80
      [[0, 100]],
      // B stopped at 30 s:                             covers 0, 20
      [[0, 30]],
      // C joined at 10 s; [10,50] ∪ [45,70] = [10,70]: covers 20, 40, 60 (not 0: 0 < 10)
      [
        [10, 50],
        [45, 70],
      ],
      // D reported an empty range: never started, so not a viewer at all.
      [[40, 40]],
      // E watched [0,20): covers 0 only — 20 is the end, and the end is not covered.
      [[0, 20]],
      // F reported past the end: clipped to [90,100], which holds no sample (80 < 90, 100 is
      // not sampled) — but F is a viewer and counts in the denominator.
      [[90, 130]],
    ];
    const curve = retentionCurve(viewers, 100, 5);
    // Viewers: A, B, C, E, F = 5.
    expect(curve.viewers).toBe(5);
    expect(curve.points).toEqual([
      { second: 0, share: 3 / 5 }, // A, B, E
      { second: 20, share: 3 / 5 }, // A, B, C
      { second: 40, share: 2 / 5 }, // A, C
      { second: 60, share: 2 / 5 }, // A, C
      { second: 80, share: 1 / 5 }, // A
    ]);
  });

  it('places samples exactly even when the step is not a whole second', () => {
    // 40 s at 100 points: a sample every 0.4 s; sample 25 is second 10.0, which [10, 12) covers,
    // and sample 30 (12.0) it does not. 10 / 0.4 in floating point is 25.000000000000004.
    const curve = retentionCurve([[[10, 12]]], 40, 100);
    expect(curve.points).toHaveLength(100);
    const covered = curve.points.filter((p) => p.share === 1).map((p) => p.second);
    expect(covered).toEqual([10, 10.4, 10.8, 11.2, 11.6]);
    expect(curve.points[99]).toEqual({ second: 39.6, share: 0 });
  });

  it('has no viewers and no points for a video without a duration', () => {
    expect(retentionCurve([[[0, 5]]], 0, 10)).toEqual({ viewers: 0, points: [] });
    expect(retentionCurve([], 60, 3)).toEqual({
      viewers: 0,
      points: [
        { second: 0, share: 0 },
        { second: 20, share: 0 },
        { second: 40, share: 0 },
      ],
    });
  });
});

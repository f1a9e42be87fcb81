/**
 * Watched-interval arithmetic: what the progress heartbeat validates and buffers, what the flush
 * stores, and what the retention curve is drawn from. Pure functions, no I/O.
 *
 * An interval `[start, end]` is a stretch of the video (in seconds) that played. Intervals are
 * treated as half-open `[start, end)`: `[0, 10]` and `[10, 20]` join into `[0, 20]`, and a
 * zero-length interval covers nothing.
 */

export type Interval = [number, number];

/** Three decimals (milliseconds) is finer than any player reports and keeps stored JSON short. */
const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Clips each interval to `[0, duration]` (when given), drops empty and malformed ones, and rounds
 * to milliseconds. Does not merge: a viewer who replays a passage really spent that time.
 */
export function normalizeIntervals(intervals: readonly (readonly number[])[], durationSeconds?: number): Interval[] {
  const upper = durationSeconds ?? Number.POSITIVE_INFINITY;
  const out: Interval[] = [];
  for (const pair of intervals) {
    const [a, b] = pair;
    if (pair.length !== 2 || typeof a !== 'number' || typeof b !== 'number') continue;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const start = round(Math.max(0, Math.min(a, upper)));
    const end = round(Math.max(0, Math.min(b, upper)));
    if (end > start) out.push([start, end]);
  }
  return out;
}

/** The union as sorted, non-overlapping, non-touching intervals. */
export function mergeIntervals(...lists: readonly (readonly Interval[])[]): Interval[] {
  // The flush and most heartbeats merge one list that is already a union (a session's buffered
  // intervals, with or without an empty one beside it): a copy, without sorting and new pairs twice.
  const given = lists.filter((list) => list.length > 0);
  if (given.length === 0) return [];
  if (given.length === 1 && isMerged(given[0]!)) return given[0]!.map(([start, end]): Interval => [start, end]);
  const all = normalizeIntervals(lists.flat()).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const merged: Interval[] = [];
  for (const [start, end] of all) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** Already what mergeIntervals returns: well-formed, rounded, sorted, and apart from each other. */
function isMerged(list: readonly (readonly number[])[]): boolean {
  let previousEnd = -1;
  for (const pair of list) {
    const [start, end] = pair;
    if (pair.length !== 2 || typeof start !== 'number' || typeof end !== 'number') return false;
    // A start at or before the previous end touches or overlaps it; NaN fails every comparison.
    if (!(start > previousEnd && start >= 0 && end > start && Number.isFinite(end))) return false;
    if (round(start) !== start || round(end) !== end) return false;
    previousEnd = end;
  }
  return true;
}

/** Seconds of the video covered at least once (each second counts once however often replayed). */
export function coveredSeconds(intervals: readonly Interval[]): number {
  return round(mergeIntervals(intervals).reduce((sum, [start, end]) => sum + (end - start), 0));
}

/** Sum of the intervals' lengths, overlaps counted again: the playing time they took. */
export function playedSeconds(intervals: readonly Interval[]): number {
  return intervals.reduce((sum, [start, end]) => sum + Math.max(0, end - start), 0);
}

/** Share (0–1) of the video covered; 0 for a video without a duration. */
export function coverageFraction(intervals: readonly Interval[], durationSeconds: number): number {
  if (!(durationSeconds > 0)) return 0;
  return Math.min(1, coveredSeconds(normalizeIntervals(intervals, durationSeconds)) / durationSeconds);
}

/** A lesson counts as complete when this share of its video is covered by watched intervals. */
export const COMPLETION_THRESHOLD = 0.9;

export function isCoverageComplete(intervals: readonly Interval[], durationSeconds: number): boolean {
  // A small epsilon: 36 of 40 s is exactly 90 %, and float division must not make it 89.999…%.
  return durationSeconds > 0 && coverageFraction(intervals, durationSeconds) >= COMPLETION_THRESHOLD - 1e-9;
}

export interface RetentionPoint {
  second: number;
  share: number;
}

/**
 * The retention curve: at each of `points` sample seconds `i × duration / points` (i = 0 …
 * points − 1, so the first sample is the very start and samples are evenly spaced), the share of
 * viewers whose watched intervals cover that second (start ≤ second < end). A viewer is anyone
 * with at least one non-empty interval; viewers with nothing watched are left out of the
 * denominator, as they never started the video.
 *
 * Runs in O(total intervals + points): each viewer's merged intervals add +1/−1 to a difference
 * array over the sample indices.
 */
export function retentionCurve(
  intervalsPerViewer: readonly (readonly Interval[])[],
  durationSeconds: number,
  points: number,
): { viewers: number; points: RetentionPoint[] } {
  const n = Math.max(1, Math.floor(points));
  if (!(durationSeconds > 0)) return { viewers: 0, points: [] };
  const diff = new Array<number>(n + 1).fill(0);
  let viewers = 0;
  // Sample index of a time, rounded up; the epsilon keeps 10 / 0.4 = 25.000000000000004 at 25.
  const firstSampleAtOrAfter = (t: number) => Math.min(n, Math.max(0, Math.ceil((t * n) / durationSeconds - 1e-9)));
  for (const intervals of intervalsPerViewer) {
    const merged = mergeIntervals(normalizeIntervals(intervals, durationSeconds));
    if (merged.length === 0) continue;
    viewers++;
    for (const [start, end] of merged) {
      const from = firstSampleAtOrAfter(start);
      const to = firstSampleAtOrAfter(end); // exclusive: a sample exactly at `end` is not covered
      if (to > from) {
        diff[from]! += 1;
        diff[to]! -= 1;
      }
    }
  }
  const out: RetentionPoint[] = [];
  let covering = 0;
  for (let i = 0; i < n; i++) {
    covering += diff[i]!;
    out.push({ second: round((i * durationSeconds) / n), share: viewers ? covering / viewers : 0 });
  }
  return { viewers, points: out };
}

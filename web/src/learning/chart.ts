// Geometry of the retention chart, apart from React so it can be tested in node: scales, tick
// choice and SVG paths for a box of any width (the component re-measures and calls again).
import { formatClock } from '../videos/format';
import type { RetentionPoint } from './types';

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface ChartBox {
  width: number;
  height: number;
  margin: Margins;
}

export interface Tick {
  value: number;
  /** Pixel position along the tick's axis. */
  position: number;
  label: string;
}

export interface RetentionGeometry {
  /** The plot area inside the margins. */
  plot: { left: number; top: number; right: number; bottom: number };
  linePath: string;
  areaPath: string;
  xTicks: Tick[];
  yTicks: Tick[];
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => r0;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

// Steps a viewer reads at a glance on a video timeline: round seconds, then minutes, then hours.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];

/**
 * Tick seconds 0, step, 2·step, … ≤ duration, with the smallest step from TIME_STEPS that keeps
 * the count at or under `maxTicks` (at least two ticks' room is assumed).
 */
export function timeTicks(durationSeconds: number, maxTicks: number): number[] {
  if (!(durationSeconds > 0)) return [0];
  const limit = Math.max(2, Math.floor(maxTicks));
  const step =
    TIME_STEPS.find((candidate) => Math.floor(durationSeconds / candidate) + 1 <= limit) ??
    Math.ceil(durationSeconds / (limit - 1) / 3600) * 3600;
  const ticks: number[] = [];
  for (let value = 0; value <= durationSeconds + 1e-9; value += step) ticks.push(value);
  return ticks;
}

export const SHARE_TICKS = [0, 0.25, 0.5, 0.75, 1] as const;

/** "42%" in the reader's language. */
export function formatShare(share: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

const clampShare = (share: number) => Math.min(1, Math.max(0, share));
const round = (value: number) => Math.round(value * 100) / 100;

/** Points in time order with shares clamped to 0–1 and points past the duration dropped. */
export function normalisePoints(points: readonly RetentionPoint[], durationSeconds: number): RetentionPoint[] {
  return points
    .filter((point) => Number.isFinite(point.second) && point.second >= 0 && point.second <= durationSeconds)
    .map((point) => ({ second: point.second, share: clampShare(point.share) }))
    .sort((a, b) => a.second - b.second);
}

/**
 * The measured share nearest to `second` (no interpolation: the table alternative reports what
 * the server measured, not a value drawn between two samples). 0 without points.
 */
export function shareAt(points: readonly RetentionPoint[], second: number): number {
  let best: RetentionPoint | undefined;
  for (const point of points) {
    if (!best || Math.abs(point.second - second) < Math.abs(best.second - second)) best = point;
  }
  return best ? clampShare(best.share) : 0;
}

/** Seconds the data table lists: about ten rows whatever the chart's width. */
export const tableSeconds = (durationSeconds: number) => timeTicks(durationSeconds, 11);

/** Line and area paths plus labelled ticks of a retention curve drawn in `box`. */
export function retentionGeometry(
  points: readonly RetentionPoint[],
  durationSeconds: number,
  box: ChartBox,
  locale: string,
): RetentionGeometry {
  const plot = {
    left: box.margin.left,
    top: box.margin.top,
    right: Math.max(box.margin.left, box.width - box.margin.right),
    bottom: Math.max(box.margin.top, box.height - box.margin.bottom),
  };
  const x = linearScale([0, durationSeconds], [plot.left, plot.right]);
  const y = linearScale([0, 1], [plot.bottom, plot.top]);
  const sorted = normalisePoints(points, durationSeconds);

  const coordinates = sorted.map((point) => `${round(x(point.second))},${round(y(point.share))}`);
  const linePath = coordinates.length > 0 ? `M${coordinates.join('L')}` : '';
  const first = sorted[0];
  const last = sorted.at(-1);
  const areaPath =
    first && last
      ? `${linePath}L${round(x(last.second))},${round(plot.bottom)}L${round(x(first.second))},${round(plot.bottom)}Z`
      : '';

  // About one label per 72 px keeps "12:30"-wide labels apart.
  const maxXTicks = Math.floor((plot.right - plot.left) / 72) + 1;
  const xTicks = timeTicks(durationSeconds, maxXTicks).map((value) => ({
    value,
    position: round(x(value)),
    label: formatClock(value),
  }));
  const yTicks = SHARE_TICKS.map((value) => ({ value, position: round(y(value)), label: formatShare(value, locale) }));
  return { plot, linePath, areaPath, xTicks, yTicks };
}

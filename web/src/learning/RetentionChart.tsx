import { useEffect, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { formatClock } from '../videos/format';
import { formatShare, normalisePoints, retentionGeometry, shareAt, tableSeconds } from './chart';
import type { LessonRetention } from './types';

const HEIGHT = 240;
const MARGIN = { top: 12, right: 16, bottom: 28, left: 44 };
/** Before the first measurement (and in a test without layout) the chart assumes this width. */
const DEFAULT_WIDTH = 640;

/** The width of an element, following it as the page resizes. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const measured = Math.floor(element.getBoundingClientRect().width);
      if (measured > 0) setWidth(measured);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Share of a lesson's viewers still watching at each second, as an area chart. Screen readers get
 * a one-sentence summary (the image's name) and the same numbers as a table.
 */
export function RetentionChart({ retention, lessonTitle }: { retention: LessonRetention; lessonTitle: string }) {
  const { t, i18n } = useTranslation();
  const [containerRef, width] = useWidth<HTMLDivElement>();
  const points = normalisePoints(retention.points, retention.durationSeconds);
  const geometry = retentionGeometry(
    points,
    retention.durationSeconds,
    { width, height: HEIGHT, margin: MARGIN },
    i18n.language,
  );
  const quartiles = [0, 0.25, 0.5, 0.75, 1].map((fraction) => Math.round(retention.durationSeconds * fraction));
  const summary = t('learning.analytics.retentionSummary', {
    count: retention.viewers,
    lesson: lessonTitle,
    // A plain comma list: Intl.ListFormat's Korean unit style joins with bare spaces.
    points: quartiles
      .map((second) =>
        t('learning.analytics.shareAtTime', {
          time: formatClock(second),
          share: formatShare(shareAt(points, second), i18n.language),
        }),
      )
      .join(', '),
  });

  return (
    <figure className="mt-4">
      <div ref={containerRef} className="w-full">
        <svg
          role="img"
          aria-label={summary}
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          className="block max-w-full"
          data-testid="retention-chart"
        >
          {geometry.yTicks.map((tick) => (
            <g key={`y${tick.value}`}>
              <line
                x1={geometry.plot.left}
                x2={geometry.plot.right}
                y1={tick.position}
                y2={tick.position}
                className="stroke-slate-200"
                strokeWidth={1}
              />
              <text
                x={geometry.plot.left - 6}
                y={tick.position}
                textAnchor="end"
                dominantBaseline="middle"
                className="fill-slate-600 text-xs"
              >
                {tick.label}
              </text>
            </g>
          ))}
          <path d={geometry.areaPath} className="fill-indigo-100" />
          <path d={geometry.linePath} className="fill-none stroke-indigo-600" strokeWidth={2} strokeLinejoin="round" />
          <line
            x1={geometry.plot.left}
            x2={geometry.plot.right}
            y1={geometry.plot.bottom}
            y2={geometry.plot.bottom}
            className="stroke-slate-400"
            strokeWidth={1}
          />
          {geometry.xTicks.map((tick) => (
            <g key={`x${tick.value}`}>
              <line
                x1={tick.position}
                x2={tick.position}
                y1={geometry.plot.bottom}
                y2={geometry.plot.bottom + 4}
                className="stroke-slate-400"
              />
              <text
                x={tick.position}
                y={geometry.plot.bottom + 18}
                textAnchor="middle"
                className="fill-slate-600 text-xs tabular-nums"
              >
                {tick.label}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <figcaption className="mt-2 text-sm text-slate-600">
        {t('learning.analytics.retentionCaption', { count: retention.viewers })}
      </figcaption>
      <table className="sr-only">
        <caption>{t('learning.analytics.tableCaption', { lesson: lessonTitle })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('learning.analytics.time')}</th>
            <th scope="col">{t('learning.analytics.stillWatching')}</th>
          </tr>
        </thead>
        <tbody>
          {tableSeconds(retention.durationSeconds).map((second) => (
            <tr key={second}>
              <th scope="row">{formatClock(second)}</th>
              <td>{formatShare(shareAt(points, second), i18n.language)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

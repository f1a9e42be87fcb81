import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatCount, formatRating } from '../format';
import type { RatingDistribution } from '../types';

const STAR_PATH = 'M10 1.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L10 14.9l-5.2 2.7 1-5.8L1.5 7.7l5.9-.9L10 1.5z';

/** One star filled by `fraction` (0, 0.5 or 1), drawn as SVG so no font needs the glyphs. */
function Star({ fraction }: { fraction: number }) {
  const clipId = useId();
  return (
    <svg viewBox="0 0 20 20" className="size-[1em]" aria-hidden="true" focusable="false">
      <path d={STAR_PATH} fill="currentColor" opacity={0.25} />
      {fraction > 0 && (
        <>
          <clipPath id={clipId}>
            <rect x="0" y="0" width={20 * fraction} height="20" />
          </clipPath>
          <path d={STAR_PATH} fill="currentColor" clipPath={`url(#${clipId})`} />
        </>
      )}
    </svg>
  );
}

/** Five stars drawn for sighted readers; the accessible name says the number. */
export function Stars({ value, className = 'text-amber-500' }: { value: number; className?: string }) {
  const { t, i18n } = useTranslation();
  const rounded = Math.round(value * 2) / 2;
  return (
    <span
      role="img"
      aria-label={t('catalog.rating.stars', { value: formatRating(value, i18n.language) })}
      className={`inline-flex items-center ${className}`}
    >
      {[1, 2, 3, 4, 5].map((star) => (
        <Star key={star} fraction={Math.max(0, Math.min(1, rounded - star + 1))} />
      ))}
    </span>
  );
}

export function RatingBadge({ average, count }: { average: number; count: number }) {
  const { t, i18n } = useTranslation();
  if (count === 0) return <span className="text-xs text-slate-500">{t('catalog.rating.none')}</span>;
  return (
    <span className="inline-flex items-center gap-1 text-sm">
      <span className="font-bold text-amber-700">{formatRating(average, i18n.language)}</span>
      <Stars value={average} />
      <span className="text-slate-500">
        {t('catalog.rating.count', { count, formatted: formatCount(count, i18n.language) })}
      </span>
    </span>
  );
}

/** Average, count and one bar per star value, each bar a labelled meter. */
export function RatingSummary({
  average,
  count,
  distribution,
}: {
  average: number;
  count: number;
  distribution: RatingDistribution;
}) {
  const { t, i18n } = useTranslation();
  return (
    <div className="flex flex-col gap-6 sm:flex-row sm:items-center">
      <div className="text-center">
        <p className="text-5xl font-bold text-slate-900">{formatRating(average, i18n.language)}</p>
        <Stars value={average} className="text-xl text-amber-500" />
        <p className="mt-1 text-sm text-slate-600">
          {t('catalog.rating.count', { count, formatted: formatCount(count, i18n.language) })}
        </p>
      </div>
      <ul className="flex-1 space-y-1" aria-label={t('catalog.rating.distribution')}>
        {(['5', '4', '3', '2', '1'] as const).map((star) => {
          const value = distribution[star] ?? 0;
          const percent = count > 0 ? Math.round((value / count) * 100) : 0;
          const label = t('catalog.rating.bar', { stars: star, percent, count: value });
          return (
            <li key={star} className="flex items-center gap-2 text-sm">
              <span className="w-10 text-slate-600" aria-hidden="true">
                {star} ★
              </span>
              <div
                role="meter"
                aria-label={label}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={percent}
                className="h-2.5 flex-1 overflow-hidden rounded-full bg-slate-200"
              >
                <div className="h-full rounded-full bg-amber-500" style={{ width: `${percent}%` }} />
              </div>
              <span className="w-10 text-right text-slate-600" aria-hidden="true">
                {percent}%
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

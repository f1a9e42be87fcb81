import { useTranslation } from 'react-i18next';

/** A labelled progress bar for an upload; screen readers hear the start and the end, not every step. */
export function UploadProgress({ fraction, label }: { fraction: number | null; label: string }) {
  const { t } = useTranslation();
  if (fraction === null) return null;
  const percent = Math.round(fraction * 100);
  return (
    <div className="mt-2">
      <progress max={100} value={percent} aria-label={label} className="h-2 w-full accent-indigo-700">
        {percent}%
      </progress>
      <p className="text-xs text-slate-600" aria-hidden="true">
        {t('catalog.studio.uploadPercent', { percent })}
      </p>
    </div>
  );
}

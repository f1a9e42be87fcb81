/**
 * A thin progress bar with its own accessible name. A styled <div role="progressbar"> rather than
 * <progress>, whose look differs between engines and cannot be given rounded fills everywhere.
 */
export function ProgressMeter({
  value,
  max = 100,
  label,
  valueText,
  className = '',
}: {
  value: number;
  max?: number;
  label: string;
  valueText?: string;
  className?: string;
}) {
  const bounded = max > 0 ? Math.min(max, Math.max(0, value)) : 0;
  const percent = max > 0 ? (bounded / max) * 100 : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={Math.round(bounded * 100) / 100}
      aria-valuetext={valueText}
      className={`h-2 w-full overflow-hidden rounded-full bg-slate-200 ${className}`}
    >
      <div className="h-full rounded-full bg-indigo-600" style={{ width: `${percent}%` }} />
    </div>
  );
}

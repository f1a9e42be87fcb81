import { useTranslation } from 'react-i18next';
import type { CourseStatus } from '../types';

const tone: Record<CourseStatus, string> = {
  draft: 'bg-slate-100 text-slate-800',
  published: 'bg-emerald-100 text-emerald-900',
  archived: 'bg-amber-100 text-amber-900',
};

export function StatusBadge({ status, takenDown = false }: { status: CourseStatus; takenDown?: boolean }) {
  const { t } = useTranslation();
  return (
    <span className={`rounded px-2 py-0.5 text-xs font-bold ${takenDown ? 'bg-red-100 text-red-900' : tone[status]}`}>
      {takenDown ? t('catalog.status.takenDown') : t(`catalog.status.${status}`)}
    </span>
  );
}

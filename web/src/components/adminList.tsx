import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { describeError } from '../auth/errorMessages';
import { FormAlert, inputClass, secondaryButton } from './form';

/** A labelled select that narrows an admin list, with an "All" choice for the empty value. */
export function FilterSelect<Value extends string>({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: Value | '';
  options: readonly { value: Value; label: string }[];
  onChange: (value: Value | '') => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value as Value | '')}
        className={inputClass}
      >
        <option value="">{t('admin.all')}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </>
  );
}

/** The loading, failed and empty states of a paged admin list; `children` renders its items. */
export function PagedListState<Item>({
  query,
  emptyText,
  children,
}: {
  query: UseQueryResult<{ items: Item[] }>;
  emptyText: string;
  children: (items: Item[]) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) {
    return (
      <p role="status" className="mt-6 text-sm text-slate-500">
        {t('auth.checking')}
      </p>
    );
  }
  if (query.isError) {
    return (
      <div className="mt-6">
        <FormAlert error={describeError(query.error)} />
      </div>
    );
  }
  if (query.data.items.length === 0) return <p className="mt-6 text-sm text-slate-600">{emptyText}</p>;
  return children(query.data.items);
}

/** Previous / next buttons and "page x of y" under a paged admin list. */
export function Pager({
  page,
  result,
  onPageChange,
}: {
  page: number;
  /** The current page's answer, once there is one. */
  result: { total: number; pageSize: number } | undefined;
  /** Called with an updater, like a state setter, so quick clicks each count. */
  onPageChange: (update: (page: number) => number) => void;
}) {
  const { t } = useTranslation();
  const totalPages = result ? Math.max(1, Math.ceil(result.total / result.pageSize)) : 1;
  return (
    <nav aria-label={t('admin.paging')} className="mt-4 flex items-center justify-between text-sm">
      <button
        type="button"
        className={secondaryButton}
        disabled={page <= 1}
        onClick={() => onPageChange((value) => value - 1)}
      >
        {t('admin.previous')}
      </button>
      <span>{t('admin.pageOf', { page, total: totalPages })}</span>
      <button
        type="button"
        className={secondaryButton}
        disabled={page >= totalPages}
        onClick={() => onPageChange((value) => value + 1)}
      >
        {t('admin.next')}
      </button>
    </nav>
  );
}

import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/apiError';
import { describeError } from '../../auth/errorMessages';
import { FormAlert, secondaryButton } from '../../components/form';
import { NotFoundPage } from '../../pages/NotFoundPage';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p role="status" className="py-8 text-sm text-slate-500">
      {label ?? t('catalog.loading')}
    </p>
  );
}

/**
 * Loading (announced politely), failed (an alert with Try again) and done states of one query;
 * `children` renders the data. A 404 shows the not-found page when `notFoundPage` is set.
 */
export function QueryState<T>({
  query,
  children,
  notFoundPage = false,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  notFoundPage?: boolean;
}) {
  const { t } = useTranslation();
  if (query.isPending) return <Loading />;
  if (query.isError) {
    if (notFoundPage && query.error instanceof ApiError && query.error.status === 404) return <NotFoundPage />;
    return (
      <div className="py-6">
        <FormAlert error={describeError(query.error)}>
          <button type="button" className={`${secondaryButton} mt-3`} onClick={() => void query.refetch()}>
            {t('catalog.retry')}
          </button>
        </FormAlert>
      </div>
    );
  }
  return children(query.data);
}

/** Previous / next links of a paged list, kept in the URL by the caller. */
export function PageLinks({
  page,
  total,
  pageSize,
  onPage,
}: {
  page: number;
  total: number;
  pageSize: number;
  onPage: (page: number) => void;
}) {
  const { t } = useTranslation();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1) return null;
  return (
    <nav aria-label={t('catalog.paging')} className="mt-8 flex items-center justify-between text-sm">
      <button type="button" className={secondaryButton} disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('admin.previous')}
      </button>
      <span aria-current="page">{t('admin.pageOf', { page, total: pages })}</span>
      <button type="button" className={secondaryButton} disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('admin.next')}
      </button>
    </nav>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { QueryState } from '../catalog/components/AsyncState';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { inputClass, linkClass, primaryButton } from '../components/form';
import { commerceKeys, fetchRevenue } from './api';
import { CommercePage, Money } from './components';
import { formatMonth, isMonth, monthOf, shiftMonth } from './format';
import type { Revenue } from './types';

/** Months shown at first: this one and the five before it. */
const DEFAULT_MONTHS = 6;

/** /studio/revenue: paid and refunded orders of the instructor's courses, by course and month. */
export function RevenuePage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.revenue.title'));
  const [range, setRange] = useState(() => {
    const to = monthOf(new Date());
    return { from: shiftMonth(to, 1 - DEFAULT_MONTHS) ?? to, to };
  });
  const [draft, setDraft] = useState(range);
  const [invalid, setInvalid] = useState(false);
  const revenue = useQuery({
    queryKey: commerceKeys.revenue(range),
    queryFn: ({ signal }) => fetchRevenue(range, signal),
    placeholderData: keepPreviousData,
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const ok = isMonth(draft.from) && isMonth(draft.to) && draft.from <= draft.to;
    setInvalid(!ok);
    if (ok) setRange(draft);
  }

  return (
    <CommercePage
      title={t('commerce.revenue.title')}
      width="max-w-5xl"
      actions={
        <Link to="/studio/coupons" className={linkClass}>
          {t('commerce.coupons.title')}
        </Link>
      }
    >
      <form onSubmit={onSubmit} noValidate className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor="revenue-from" className="block text-sm font-medium text-slate-800">
            {t('commerce.revenue.from')}
          </label>
          <input
            id="revenue-from"
            type="month"
            value={draft.from}
            onChange={(event) => setDraft((current) => ({ ...current, from: event.target.value }))}
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? 'revenue-range-error' : undefined}
            className={inputClass}
          />
        </div>
        <div>
          <label htmlFor="revenue-to" className="block text-sm font-medium text-slate-800">
            {t('commerce.revenue.to')}
          </label>
          <input
            id="revenue-to"
            type="month"
            value={draft.to}
            onChange={(event) => setDraft((current) => ({ ...current, to: event.target.value }))}
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? 'revenue-range-error' : undefined}
            className={inputClass}
          />
        </div>
        <button type="submit" className={primaryButton}>
          {t('commerce.revenue.show')}
        </button>
      </form>
      <div aria-live="polite">
        {invalid && (
          <p id="revenue-range-error" className="mt-2 text-sm text-red-700">
            {t('commerce.revenue.rangeInvalid')}
          </p>
        )}
      </div>
      <QueryState query={revenue}>{(data) => <RevenueTables data={data} />}</QueryState>
    </CommercePage>
  );
}

const th = 'px-4 py-3 font-medium';
const num = 'px-4 py-3 text-right tabular-nums';

type Figures = Pick<Revenue['totals'][number], 'currency' | 'orders' | 'gross' | 'refunded' | 'net'>;

/** The four figure columns both tables end with. */
function FigureHeaders() {
  const { t } = useTranslation();
  return (
    <>
      {(['orders', 'gross', 'refunded', 'net'] as const).map((key) => (
        <th key={key} scope="col" className={`${th} text-right`}>
          {t(`commerce.revenue.${key}`)}
        </th>
      ))}
    </>
  );
}

function FigureCells({ figures }: { figures: Figures }) {
  return (
    <>
      <td className={num}>{figures.orders}</td>
      <td className={num}>
        <Money amount={figures.gross} currency={figures.currency} />
      </td>
      <td className={num}>
        <Money amount={figures.refunded} currency={figures.currency} />
      </td>
      <td className={`${num} font-bold`}>
        <Money amount={figures.net} currency={figures.currency} />
      </td>
    </>
  );
}

function RevenueTables({ data }: { data: Revenue }) {
  const { t, i18n } = useTranslation();
  if (data.items.length === 0) return <p className="mt-6 text-slate-600">{t('commerce.revenue.empty')}</p>;
  return (
    <div className="mt-6 space-y-8">
      <div className="overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-left text-sm">
          <caption className="px-4 pt-3 text-left font-bold text-slate-900">{t('commerce.revenue.caption')}</caption>
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col" className={th}>
                {t('commerce.revenue.month')}
              </th>
              <th scope="col" className={th}>
                {t('commerce.revenue.course')}
              </th>
              <FigureHeaders />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {data.items.map((row) => (
              <tr key={`${row.month}:${row.courseId}:${row.currency}`}>
                <td className="px-4 py-3 whitespace-nowrap text-slate-700">{formatMonth(row.month, i18n.language)}</td>
                <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                  {row.courseTitle}
                </th>
                <FigureCells figures={row} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-left text-sm">
          <caption className="px-4 pt-3 text-left font-bold text-slate-900">
            {t('commerce.revenue.totalsCaption')}
          </caption>
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col" className={th}>
                {t('commerce.revenue.currency')}
              </th>
              <FigureHeaders />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {data.totals.map((total) => (
              <tr key={total.currency}>
                <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                  {total.currency}
                </th>
                <FigureCells figures={total} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

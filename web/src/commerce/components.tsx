import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { describeCommerceError, formatMoney, ORDER_STATUS_TONE } from './format';
import type { Currency, OrderStatus } from './types';

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const { t } = useTranslation();
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-bold ${ORDER_STATUS_TONE[status]}`}>
      {t(`commerce.status.${status}`)}
    </span>
  );
}

export function Money({ amount, currency }: { amount: number; currency: Currency }) {
  const { i18n } = useTranslation();
  return <span className="tabular-nums">{formatMoney(amount, currency, i18n.language)}</span>;
}

/**
 * An error of a commerce call in words (role="alert", like FormAlert), with room for actions.
 * Always rendered, empty when there is no error, so screen readers hear it when it appears.
 */
export function CommerceAlert({ error, id, children }: { error: unknown; id?: string; children?: ReactNode }) {
  const { t } = useTranslation();
  const message = error ? describeCommerceError(error) : null;
  return (
    <div id={id} tabIndex={-1} role="alert" className="outline-none">
      {message && (
        <div className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          <p>{t(message.key, message.values ?? {})}</p>
          {children}
        </div>
      )}
    </div>
  );
}

/** The page frame of the commerce pages: a heading and the content under it. */
export function CommercePage({
  title,
  children,
  width = 'max-w-3xl',
  actions,
}: {
  title: string;
  children: ReactNode;
  width?: string;
  actions?: ReactNode;
}) {
  return (
    <section className={`mx-auto ${width} px-4 py-10 sm:px-6`}>
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-2">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
        {actions}
      </div>
      <div className="mt-6">{children}</div>
    </section>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { QueryState } from '../catalog/components/AsyncState';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { Notice, TextAreaField, linkClass, primaryButton, secondaryButton } from '../components/form';
import { formatDateTime, formatShortDateTime } from '../lib/time';
import { commerceKeys, fetchOrder, requestRefund } from './api';
import { CommerceAlert, Money, OrderStatusBadge } from './components';
import { formatPercent, refundViewOf } from './format';
import type { OrderDetail, RefundRequest } from './types';

const REASON_MAX = 1000;

/** /me/orders/:id: a printable receipt, and the refund request when the policy allows one. */
export function ReceiptPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.receipt.title'));
  const { id = '' } = useParams();
  const detail = useQuery({
    queryKey: commerceKeys.order(id),
    queryFn: ({ signal }) => fetchOrder(id, signal),
  });
  return (
    <section className="mx-auto max-w-3xl px-4 py-10 sm:px-6 print:max-w-none print:p-0">
      <QueryState query={detail} notFoundPage>
        {(data) => <Receipt detail={data} />}
      </QueryState>
    </section>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex justify-between gap-4 py-2">
      <dt className="text-slate-600">{label}</dt>
      <dd className="text-right text-slate-900">{children}</dd>
    </div>
  );
}

function Receipt({ detail }: { detail: OrderDetail }) {
  const { t, i18n } = useTranslation();
  const { order, buyer } = detail;
  const when = (iso: string) => formatDateTime(new Date(iso), i18n.language);
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3 print:hidden">
        <Link to="/me/orders" className={linkClass}>
          {t('commerce.receipt.allOrders')}
        </Link>
        <button type="button" className={secondaryButton} onClick={() => window.print()}>
          {t('commerce.receipt.print')}
        </button>
      </div>
      <article
        aria-labelledby="receipt-title"
        className="mt-6 rounded-2xl border border-slate-200 bg-white p-6 shadow-sm print:border-0 print:shadow-none"
      >
        <header className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-200 pb-4">
          <div>
            <p className="text-sm font-bold tracking-wide text-indigo-700">Lectio</p>
            <h1 id="receipt-title" className="text-2xl font-bold tracking-tight text-slate-900">
              {t('commerce.receipt.title')}
            </h1>
          </div>
          <OrderStatusBadge status={order.status} />
        </header>
        <dl className="mt-4 divide-y divide-slate-100 text-sm">
          <Row label={t('commerce.receipt.number')}>
            <span className="font-mono" data-testid="receipt-number">
              {order.receiptNumber}
            </span>
          </Row>
          <Row label={t('commerce.receipt.buyer')}>
            {buyer.displayName} <span className="text-slate-600">({buyer.email})</span>
          </Row>
          <Row label={t('commerce.receipt.course')}>
            <Link to={`/courses/${encodeURIComponent(order.course.slug)}`} className={linkClass}>
              {order.course.title}
            </Link>
          </Row>
          <Row label={t('commerce.receipt.orderedAt')}>{when(order.createdAt)}</Row>
          <Row label={t('commerce.receipt.listPrice')}>
            <Money amount={order.listAmount} currency={order.currency} />
          </Row>
          {order.discountAmount > 0 && (
            <Row
              label={
                order.couponCode
                  ? t('commerce.checkout.discount', { code: order.couponCode })
                  : t('commerce.receipt.discount')
              }
            >
              −<Money amount={order.discountAmount} currency={order.currency} />
            </Row>
          )}
          <Row label={t('commerce.receipt.total')}>
            <strong>
              <Money amount={order.amount} currency={order.currency} />
            </strong>
          </Row>
          <Row label={t('commerce.receipt.status')}>{t(`commerce.status.${order.status}`)}</Row>
          {order.paidAt && <Row label={t('commerce.receipt.paidAt')}>{when(order.paidAt)}</Row>}
          {order.failedAt && <Row label={t('commerce.receipt.failedAt')}>{when(order.failedAt)}</Row>}
          {order.expiredAt && <Row label={t('commerce.receipt.expiredAt')}>{when(order.expiredAt)}</Row>}
          {order.refundedAt && <Row label={t('commerce.receipt.refundedAt')}>{when(order.refundedAt)}</Row>}
          {order.refundedAmount > 0 && (
            <Row label={t('commerce.receipt.refundedAmount')}>
              <Money amount={order.refundedAmount} currency={order.currency} />
            </Row>
          )}
        </dl>
      </article>
      {(order.status === 'paid' || order.status === 'refunded') && <RefundSection detail={detail} />}
    </>
  );
}

function RequestStatus({ request }: { request: RefundRequest }) {
  const { t, i18n } = useTranslation();
  const date = formatShortDateTime(new Date(request.decidedAt ?? request.createdAt), i18n.language);
  return (
    <div className="space-y-1 text-sm text-slate-800">
      <p>{t(`commerce.refund.requestStatus.${request.status}`, { date })}</p>
      <p className="text-slate-600">{t('commerce.refund.yourReason', { reason: request.reason })}</p>
      {request.decisionNote && (
        <p className="text-slate-600">{t('commerce.refund.decisionNote', { note: request.decisionNote })}</p>
      )}
    </div>
  );
}

function RefundSection({ detail }: { detail: OrderDetail }) {
  const { t, i18n } = useTranslation();
  const { order, refund } = detail;
  const { state } = useAuth();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const send = useMutation({
    mutationFn: () => requestRefund(order.id, reason.trim()),
    onSuccess: () => {
      setReason('');
      return queryClient.invalidateQueries({ queryKey: commerceKeys.order(order.id) });
    },
  });
  // Only admins can read someone else's receipt; everyone else reading it bought it.
  const isOwner =
    state.status === 'authenticated' &&
    (state.user.role !== 'admin' || state.user.email.toLowerCase() === detail.buyer.email.toLowerCase());
  const view = refundViewOf(detail, isOwner);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    send.mutate();
  }

  if (!view) return null;

  return (
    <section aria-labelledby="refund-heading" className="mt-8 print:hidden">
      <h2 id="refund-heading" className="text-lg font-bold text-slate-900">
        {t('commerce.refund.heading')}
      </h2>
      <div className="mt-3" aria-live="polite">
        {send.isSuccess && <Notice>{t('commerce.refund.sent')}</Notice>}
      </div>
      <div className="mt-3 space-y-4">
        {view.ownerOnly && (
          <p className="text-sm text-slate-700">
            {t('commerce.refund.ownerOnly')}{' '}
            <Link to="/admin/orders" className={linkClass}>
              {t('commerce.admin.title')}
            </Link>
          </p>
        )}
        {view.request && <RequestStatus request={view.request} />}
        {view.ineligible && (
          <p className="text-sm text-slate-700">{t(`commerce.refund.ineligible.${view.ineligible}`)}</p>
        )}
        {view.form && (
          <form onSubmit={onSubmit} noValidate className="space-y-3">
            {view.askAgain && <p className="text-sm font-medium text-slate-800">{t('commerce.refund.askAgain')}</p>}
            <p className="text-sm text-slate-700">
              {refund.windowEndsAt
                ? t('commerce.refund.policy', {
                    date: formatShortDateTime(new Date(refund.windowEndsAt), i18n.language),
                    percent: formatPercent(refund.watchedPercent, i18n.language),
                  })
                : t('commerce.refund.watched', { percent: formatPercent(refund.watchedPercent, i18n.language) })}
            </p>
            <TextAreaField
              label={t('commerce.refund.reason')}
              name="reason"
              rows={3}
              maxLength={REASON_MAX}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              error={missing ? t('commerce.refund.reasonRequired') : undefined}
            />
            <button type="submit" className={primaryButton} disabled={send.isPending}>
              {send.isPending ? t('auth.pending') : t('commerce.refund.submit')}
            </button>
            <CommerceAlert error={send.error} />
          </form>
        )}
      </div>
    </section>
  );
}

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { FilterSelect, PagedListState, Pager } from '../components/adminList';
import {
  Notice,
  TextAreaField,
  dangerButton,
  focusRing,
  inputClass,
  linkClass,
  primaryButton,
  secondaryButton,
} from '../components/form';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { formatShortDateTime } from '../lib/time';
import {
  approveRefundRequest,
  commerceKeys,
  fetchAdminOrders,
  fetchRefundRequests,
  refundOrder,
  rejectRefundRequest,
} from './api';
import { CommerceAlert, CommercePage, Money, OrderStatusBadge } from './components';
import { formatMoney, formatPercent } from './format';
import { ORDER_STATUSES, type AdminOrder, type AdminRefundRequest, type OrderStatus } from './types';

const PAGE_SIZE = 20;
type Tab = 'orders' | 'requests';

/** /admin/orders: every order with a Refund action, and the refund requests waiting for a decision. */
export function AdminOrdersPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.admin.title'));
  const [params] = useSearchParams();
  const tab: Tab = params.get('tab') === 'requests' ? 'requests' : 'orders';
  const tabClass = (active: boolean) =>
    `inline-block rounded-full px-4 py-1.5 text-sm font-medium ${focusRing} ${
      active ? 'bg-indigo-700 text-white' : 'bg-slate-100 text-slate-800 hover:bg-slate-200'
    }`;
  return (
    <CommercePage title={t('commerce.admin.title')} width="max-w-6xl">
      <nav aria-label={t('commerce.admin.title')}>
        <ul className="flex flex-wrap gap-2">
          <li>
            <Link
              to="/admin/orders"
              aria-current={tab === 'orders' ? 'page' : undefined}
              className={tabClass(tab === 'orders')}
            >
              {t('commerce.admin.ordersTab')}
            </Link>
          </li>
          <li>
            <Link
              to="/admin/orders?tab=requests"
              aria-current={tab === 'requests' ? 'page' : undefined}
              className={tabClass(tab === 'requests')}
            >
              {t('commerce.admin.requestsTab')}
            </Link>
          </li>
        </ul>
      </nav>
      {tab === 'orders' ? <OrdersPanel /> : <RequestsPanel />}
    </CommercePage>
  );
}

function OrdersPanel() {
  const { t } = useTranslation();
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const query = { q: q || undefined, status: status || undefined, page, pageSize: PAGE_SIZE };
  const orders = useQuery({
    queryKey: commerceKeys.adminOrders(query),
    queryFn: ({ signal }) => fetchAdminOrders(query, signal),
    placeholderData: keepPreviousData,
  });

  function onSearch(event: FormEvent) {
    event.preventDefault();
    setQ(draft.trim());
    setPage(1);
  }

  return (
    <section aria-labelledby="admin-orders-heading" className="mt-6">
      <h2 id="admin-orders-heading" className="sr-only">
        {t('commerce.admin.ordersTab')}
      </h2>
      <form role="search" onSubmit={onSearch} className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <label htmlFor="admin-order-q" className="block text-sm font-medium text-slate-800">
            {t('commerce.admin.search')}
          </label>
          <input
            id="admin-order-q"
            type="search"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            className={inputClass}
          />
        </div>
        <div>
          <FilterSelect
            id="admin-order-status"
            label={t('commerce.orders.status')}
            value={status}
            options={ORDER_STATUSES.map((value) => ({ value, label: t(`commerce.status.${value}`) }))}
            onChange={(value) => {
              setStatus(value);
              setPage(1);
            }}
          />
        </div>
        <button type="submit" className={primaryButton}>
          {t('commerce.admin.searchSubmit')}
        </button>
      </form>
      <div className="mt-4" aria-live="polite">
        {notice && <Notice>{notice}</Notice>}
      </div>
      <PagedListState query={orders} emptyText={t('commerce.admin.empty')}>
        {(items) => (
          <ul className="mt-4 divide-y divide-slate-200 rounded-2xl border border-slate-200 bg-white shadow-sm">
            {items.map((order) => (
              <li key={order.id}>
                <AdminOrderRow order={order} onRefunded={setNotice} />
              </li>
            ))}
          </ul>
        )}
      </PagedListState>
      <Pager page={page} result={orders.data} onPageChange={setPage} />
    </section>
  );
}

function AdminOrderRow({ order, onRefunded }: { order: AdminOrder; onRefunded: (message: string) => void }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const formId = useId();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const rowRef = useRef<HTMLElement>(null);
  const refundButtonRef = useRef<HTMLButtonElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // Where focus goes when the form closes: back to Refund, or to the row once the refund is sent
  // (its Refund button is then gone).
  const closeTo = useRef<'button' | 'row' | null>(null);
  useEffect(() => {
    if (open) {
      formRef.current?.querySelector('textarea')?.focus();
      return;
    }
    const target =
      closeTo.current === 'button' ? refundButtonRef.current : closeTo.current === 'row' ? rowRef.current : null;
    closeTo.current = null;
    target?.focus();
  }, [open]);
  const close = (focus: 'button' | 'row') => {
    closeTo.current = focus;
    setOpen(false);
  };
  const refund = useMutation({
    mutationFn: () => refundOrder(order.id, reason.trim()),
    onSuccess: ({ order: updated }) => {
      close('row');
      onRefunded(updated.status === 'refunded' ? t('commerce.admin.refunded') : t('commerce.admin.refundSent'));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });
  const refundable = order.status === 'paid' && !order.refundRequestedAt;
  const amount = formatMoney(order.amount, order.currency, i18n.language);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    refund.mutate();
  }

  function onFormKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape' && !refund.isPending) {
      event.preventDefault();
      close('button');
    }
  }

  return (
    <article
      ref={rowRef}
      tabIndex={-1}
      className="px-4 py-3 text-sm outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"
    >
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
        <span className="w-36 text-slate-600">
          {formatShortDateTime(new Date(order.paidAt ?? order.createdAt), i18n.language)}
        </span>
        <span className="min-w-48 flex-1">
          <Link to={`/me/orders/${encodeURIComponent(order.id)}`} className={linkClass}>
            {order.course.title}
          </Link>
          <span className="block text-xs wrap-anywhere text-slate-600">
            {order.user.displayName} · {order.user.email} · {order.receiptNumber}
          </span>
        </span>
        <span className="w-24 text-right text-slate-900">
          <Money amount={order.amount} currency={order.currency} />
        </span>
        <span className="w-28">
          <OrderStatusBadge status={order.status} />
        </span>
        <span className="w-24 text-right">
          {refundable && !open && (
            <button
              ref={refundButtonRef}
              type="button"
              className={secondaryButton}
              aria-label={t('commerce.admin.refundLabel', { name: order.user.displayName, course: order.course.title })}
              onClick={() => setOpen(true)}
            >
              {t('commerce.admin.refund')}
            </button>
          )}
          {order.status === 'paid' && order.refundRequestedAt && (
            <span className="text-xs text-slate-600">{t('commerce.admin.refundInProgress')}</span>
          )}
        </span>
      </div>
      {open && (
        <form
          ref={formRef}
          id={formId}
          onSubmit={onSubmit}
          onKeyDown={onFormKeyDown}
          noValidate
          className="mt-3 space-y-3 rounded-lg border border-red-200 bg-red-50 p-4"
        >
          <TextAreaField
            label={t('commerce.admin.refundReason')}
            name="reason"
            rows={2}
            maxLength={1000}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            error={missing ? t('commerce.refund.reasonRequired') : undefined}
          />
          <p className="text-red-900">{t('commerce.admin.refundConfirm', { amount, name: order.user.displayName })}</p>
          <div className="flex flex-wrap gap-2">
            <button type="submit" className={dangerButton} disabled={refund.isPending}>
              {refund.isPending ? t('auth.pending') : t('commerce.admin.refundNow', { amount })}
            </button>
            <button type="button" className={secondaryButton} onClick={() => close('button')}>
              {t('commerce.admin.cancel')}
            </button>
          </div>
          <CommerceAlert error={refund.error} />
        </form>
      )}
    </article>
  );
}

function RequestsPanel() {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const query = { status: 'requested' as const, page, pageSize: PAGE_SIZE };
  const requests = useQuery({
    queryKey: commerceKeys.refundRequests(query),
    queryFn: ({ signal }) => fetchRefundRequests(query, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="refund-requests-heading" className="mt-6">
      <h2 id="refund-requests-heading" className="text-xl font-bold text-slate-900">
        {t('commerce.admin.requestsTitle')}
      </h2>
      <div className="mt-4" aria-live="polite">
        {notice && <Notice>{notice}</Notice>}
      </div>
      <PagedListState query={requests} emptyText={t('commerce.admin.requestsEmpty')}>
        {(items) => (
          <ul className="mt-4 space-y-4">
            {items.map((item) => (
              <li key={item.request.id}>
                <RequestCard item={item} onDecided={setNotice} />
              </li>
            ))}
          </ul>
        )}
      </PagedListState>
      <Pager page={page} result={requests.data} onPageChange={setPage} />
    </section>
  );
}

function RequestCard({ item, onDecided }: { item: AdminRefundRequest; onDecided: (message: string) => void }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const { request, order, user } = item;
  const [note, setNote] = useState('');
  const [noteMissing, setNoteMissing] = useState(false);
  const decide = useMutation({
    mutationFn: (approve: boolean) =>
      approve ? approveRefundRequest(request.id, note.trim()) : rejectRefundRequest(request.id, note.trim()),
    onSuccess: (_result, approve) => onDecided(approve ? t('commerce.admin.approved') : t('commerce.admin.rejected')),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });
  const headingId = useId();

  function reject() {
    if (!note.trim()) {
      setNoteMissing(true);
      return;
    }
    setNoteMissing(false);
    decide.mutate(false);
  }

  return (
    <article aria-labelledby={headingId} className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <h3 id={headingId} className="font-bold text-slate-900">
        {order.course.title} · <Money amount={order.amount} currency={order.currency} />
      </h3>
      <p className="mt-1 text-sm wrap-anywhere text-slate-700">
        {user.displayName} · {user.email} · {order.receiptNumber}
      </p>
      <p className="mt-1 text-sm text-slate-600">
        {t('commerce.admin.requestFacts', {
          date: formatShortDateTime(new Date(request.createdAt), i18n.language),
          percent: formatPercent(request.watchedPercent, i18n.language),
          days: request.daysSincePaid,
        })}
      </p>
      <blockquote className="mt-3 border-l-4 border-slate-200 pl-3 text-sm whitespace-pre-line text-slate-800">
        {request.reason}
      </blockquote>
      <div className="mt-4 space-y-3">
        <TextAreaField
          label={t('commerce.admin.note')}
          name="note"
          rows={2}
          maxLength={1000}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          error={noteMissing ? t('commerce.admin.noteRequired') : undefined}
        />
        <div className="flex flex-wrap gap-2">
          <button
            type="button"
            className={dangerButton}
            disabled={decide.isPending}
            onClick={() => decide.mutate(true)}
          >
            {t('commerce.admin.approve', { amount: formatMoney(order.amount, order.currency, i18n.language) })}
          </button>
          <button type="button" className={secondaryButton} disabled={decide.isPending} onClick={reject}>
            {t('commerce.admin.reject')}
          </button>
        </div>
        <CommerceAlert error={decide.error} />
      </div>
    </article>
  );
}

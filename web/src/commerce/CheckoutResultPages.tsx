// Where the payment page sends the student back: /checkout/success and /checkout/cancel, both with
// ?order=<id>. The webhook that settles the order may arrive after the student does, so both pages
// keep asking about the order for a while.
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { catalogKeys } from '../catalog/api';
import { QueryState } from '../catalog/components/AsyncState';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { Notice, linkClass, primaryButton, secondaryButton } from '../components/form';
import { useNow } from '../lib/useNow';
import { cancelOrder, commerceKeys, fetchOrder } from './api';
import { CommerceAlert, CommercePage, Money } from './components';
import { orderBeingPaidOf } from './format';
import type { Order, OrderDetail } from './types';

/** How long the success page waits for the payment to be confirmed before saying it is slow. */
const CONFIRM_TIMEOUT_MS = 60_000;
/** The cancel page waits a little for a decline to arrive. */
const DECLINE_TIMEOUT_MS = 30_000;

const coursePath = (order: Order) => `/courses/${encodeURIComponent(order.course.slug)}`;
const checkoutPath = (order: Order) => `${coursePath(order)}/checkout`;
const receiptPath = (order: Order) => `/me/orders/${encodeURIComponent(order.id)}`;

/** The order, asked for every `intervalMs` while it is pending, for at most `timeoutMs`. */
function usePolledOrder(orderId: string, intervalMs: number, timeoutMs: number) {
  const [startedAt] = useState(() => Date.now());
  const now = useNow(1_000);
  const query = useQuery({
    queryKey: commerceKeys.order(orderId),
    queryFn: ({ signal }) => fetchOrder(orderId, signal),
    enabled: orderId !== '',
    refetchInterval: (current) => {
      const status = current.state.data?.order.status;
      if (status && status !== 'pending') return false;
      return Date.now() - startedAt < timeoutMs ? intervalMs : false;
    },
  });
  return { query, timedOut: now - startedAt >= timeoutMs };
}

function MissingOrder() {
  const { t } = useTranslation();
  return (
    <p className="text-slate-700">
      {t('commerce.result.missingOrder')}{' '}
      <Link to="/me/orders" className={linkClass}>
        {t('commerce.orders.title')}
      </Link>
    </p>
  );
}

function OrderQuery({
  query,
  children,
}: {
  query: UseQueryResult<OrderDetail>;
  children: (detail: OrderDetail) => ReactNode;
}) {
  return <QueryState query={query}>{children}</QueryState>;
}

/** A heading that takes focus when it appears, so the outcome is what a screen reader reads next. */
function OutcomeHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h2 ref={ref} tabIndex={-1} className="text-xl font-bold text-slate-900 outline-none">
      {children}
    </h2>
  );
}

export function CheckoutSuccessPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.result.successTitle'));
  const [params] = useSearchParams();
  const orderId = params.get('order') ?? '';
  const { query, timedOut } = usePolledOrder(orderId, 1_000, CONFIRM_TIMEOUT_MS);
  const queryClient = useQueryClient();
  const status = query.data?.order.status;
  const slug = query.data?.order.course.slug;

  // Paid: the course page and the student's lists must show the enrollment now.
  useEffect(() => {
    if (status !== 'paid' || !slug) return;
    void queryClient.invalidateQueries({ queryKey: catalogKeys.course(slug) });
    void queryClient.invalidateQueries({ queryKey: ['me'] });
  }, [status, slug, queryClient]);

  return (
    <CommercePage title={t('commerce.result.successTitle')} width="max-w-xl">
      {!orderId ? (
        <MissingOrder />
      ) : (
        <OrderQuery query={query}>
          {({ order }) => (
            <div className="space-y-4">
              <p className="text-slate-700">{order.course.title}</p>
              {/* One live region for the whole wait: "confirming…" then the outcome. */}
              <div role="status" aria-live="polite" className="space-y-4">
                {order.status === 'pending' &&
                  (timedOut ? (
                    <p className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-950">
                      {t('commerce.result.slow')}
                    </p>
                  ) : (
                    <p className="flex items-center gap-2 text-slate-700">
                      <span
                        aria-hidden="true"
                        className="size-4 animate-spin rounded-full border-2 border-indigo-700 border-t-transparent"
                      />
                      {t('commerce.result.confirming')}
                    </p>
                  ))}
                {order.status === 'paid' && (
                  <>
                    <OutcomeHeading>{t('commerce.result.enrolled')}</OutcomeHeading>
                    <p className="text-slate-700">
                      {t('commerce.result.enrolledText', { course: order.course.title })}
                    </p>
                  </>
                )}
                {order.status === 'failed' && <p className="text-red-800">{t('commerce.result.declined')}</p>}
                {order.status === 'expired' && <p className="text-slate-700">{t('commerce.result.expired')}</p>}
                {order.status === 'refunded' && <p className="text-slate-700">{t('commerce.result.refunded')}</p>}
              </div>
              <div className="flex flex-wrap gap-3">
                {order.status === 'paid' && (
                  <Link to={coursePath(order)} className={primaryButton}>
                    {t('commerce.result.goToCourse')}
                  </Link>
                )}
                {(order.status === 'failed' || order.status === 'expired') && (
                  <Link to={checkoutPath(order)} className={primaryButton}>
                    {t('commerce.result.tryAgain')}
                  </Link>
                )}
                {order.status !== 'pending' && (
                  <Link to={receiptPath(order)} className={secondaryButton}>
                    {t('commerce.result.receipt')}
                  </Link>
                )}
                {order.status === 'pending' && timedOut && (
                  <Link to="/me/orders" className={secondaryButton}>
                    {t('commerce.orders.title')}
                  </Link>
                )}
              </div>
            </div>
          )}
        </OrderQuery>
      )}
    </CommercePage>
  );
}

export function CheckoutCancelPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.result.cancelTitle'));
  const [params] = useSearchParams();
  const orderId = params.get('order') ?? '';
  const { query } = usePolledOrder(orderId, 2_000, DECLINE_TIMEOUT_MS);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const cancel = useMutation({
    mutationFn: () => cancelOrder(orderId),
    onSuccess: (result) => {
      queryClient.setQueryData<OrderDetail>(commerceKeys.order(orderId), (detail) =>
        detail ? { ...detail, order: result.order } : detail,
      );
    },
    onError: (error) => {
      // Too late to cancel: the order is being paid (in another tab); the success page follows it.
      const beingPaid = orderBeingPaidOf(error, orderId);
      if (beingPaid) void navigate(`/checkout/success?order=${encodeURIComponent(beingPaid)}`);
    },
  });

  return (
    <CommercePage title={t('commerce.result.cancelTitle')} width="max-w-xl">
      {!orderId ? (
        <MissingOrder />
      ) : (
        <OrderQuery query={query}>
          {({ order }) => (
            <div className="space-y-4">
              <p className="flex flex-wrap items-baseline justify-between gap-2 text-slate-700">
                <span>{order.course.title}</span>
                <Money amount={order.amount} currency={order.currency} />
              </p>
              <div aria-live="polite" className="space-y-4">
                {order.status === 'pending' && <p className="text-slate-700">{t('commerce.result.stillOpen')}</p>}
                {order.status === 'failed' && (
                  <p role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
                    {t('commerce.result.declined')}
                  </p>
                )}
                {order.status === 'expired' &&
                  (cancel.isSuccess ? (
                    <Notice>{t('commerce.result.cancelled')}</Notice>
                  ) : (
                    <p className="text-slate-700">{t('commerce.result.expired')}</p>
                  ))}
                {order.status === 'paid' && <p className="text-slate-700">{t('commerce.result.alreadyPaid')}</p>}
                {order.status === 'refunded' && <p className="text-slate-700">{t('commerce.result.refunded')}</p>}
              </div>
              <div className="flex flex-wrap gap-3">
                {order.status === 'pending' && order.checkoutUrl && (
                  <a href={order.checkoutUrl} className={primaryButton}>
                    {t('commerce.result.resume')}
                  </a>
                )}
                {order.status === 'pending' && (
                  <button
                    type="button"
                    className={secondaryButton}
                    disabled={cancel.isPending}
                    onClick={() => cancel.mutate()}
                  >
                    {cancel.isPending ? t('auth.pending') : t('commerce.result.cancelOrder')}
                  </button>
                )}
                {(order.status === 'failed' || order.status === 'expired') && (
                  <Link to={checkoutPath(order)} className={primaryButton}>
                    {t('commerce.result.tryAgain')}
                  </Link>
                )}
                {order.status === 'paid' && (
                  <Link to={coursePath(order)} className={primaryButton}>
                    {t('commerce.result.goToCourse')}
                  </Link>
                )}
                {order.status !== 'pending' && order.status !== 'paid' && (
                  <Link to={coursePath(order)} className={linkClass}>
                    {t('commerce.checkout.backToCourse')}
                  </Link>
                )}
              </div>
              <CommerceAlert error={cancel.error} />
            </div>
          )}
        </OrderQuery>
      )}
    </CommercePage>
  );
}

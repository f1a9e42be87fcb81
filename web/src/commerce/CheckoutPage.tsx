import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/apiError';
import { catalogKeys, fetchCourse } from '../catalog/api';
import { QueryState } from '../catalog/components/AsyncState';
import type { CourseDetail } from '../catalog/types';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { Notice, inputClass, linkClass, primaryButton, secondaryButton } from '../components/form';
import { cancelOrder, commerceKeys, createOrder, fetchQuote } from './api';
import { CommerceAlert, CommercePage, Money } from './components';
import {
  CheckoutNotReadyError,
  checkoutStepOf,
  couponRefusalOf,
  describeCommerceError,
  formatCouponValue,
  formatMoney,
  normalizeCouponCode,
  openOrderOf,
  orderBeingPaidOf,
} from './format';
import type { CheckoutQuote } from './types';

const coursePath = (slug: string) => `/courses/${encodeURIComponent(slug)}`;
const successPath = (orderId: string) => `/checkout/success?order=${encodeURIComponent(orderId)}`;

/** /courses/:slug/checkout: what the student is about to pay, a coupon field, and Pay. */
export function CheckoutPage() {
  const { t } = useTranslation();
  const { slug = '' } = useParams();
  useDocumentTitle(t('commerce.checkout.title'));
  const course = useQuery({
    queryKey: catalogKeys.course(slug),
    queryFn: ({ signal }) => fetchCourse(slug, signal),
  });
  return (
    <CommercePage title={t('commerce.checkout.title')} width="max-w-xl">
      <QueryState query={course} notFoundPage>
        {(data) => (data.viewer?.enrolled ? <AlreadyEnrolled course={data} /> : <Checkout course={data} />)}
      </QueryState>
    </CommercePage>
  );
}

function AlreadyEnrolled({ course }: { course: Pick<CourseDetail, 'slug' | 'title'> }) {
  const { t } = useTranslation();
  return (
    <div className="space-y-4">
      <Notice>{t('commerce.checkout.alreadyEnrolled', { course: course.title })}</Notice>
      <Link to={coursePath(course.slug)} className={primaryButton}>
        {t('commerce.checkout.goToCourse')}
      </Link>
    </div>
  );
}

function Checkout({ course }: { course: CourseDetail }) {
  const { t } = useTranslation();
  // Without a coupon: the price the summary starts from, and the answer that says the student may buy.
  const base = useQuery({
    queryKey: commerceKeys.quote(course.id, ''),
    queryFn: ({ signal }) => fetchQuote(course.id, '', signal),
    retry: false,
  });
  if (base.isPending) {
    return (
      <p role="status" className="text-sm text-slate-500">
        {t('catalog.loading')}
      </p>
    );
  }
  if (base.isError) {
    if (base.error instanceof ApiError && base.error.code === 'already_enrolled')
      return <AlreadyEnrolled course={course} />;
    return (
      <div className="space-y-4">
        <CommerceAlert error={base.error} />
        <Link to={coursePath(course.slug)} className={linkClass}>
          {t('commerce.checkout.backToCourse')}
        </Link>
      </div>
    );
  }
  return <CheckoutForm course={course} base={base.data} />;
}

function CheckoutForm({ course, base }: { course: CourseDetail; base: CheckoutQuote }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const couponId = useId();
  const [draft, setDraft] = useState('');
  const [quote, setQuote] = useState<CheckoutQuote>(base);
  const [cancelled, setCancelled] = useState(false);
  // One key per visit of this page: a double click, or a retry after a lost answer, makes one order.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const [redirecting, setRedirecting] = useState(false);
  // Back from the payment page through the browser's page cache: the page is usable again, and
  // Pay with the same key answers the same order.
  useEffect(() => {
    const onShow = (event: PageTransitionEvent) => {
      if (event.persisted) setRedirecting(false);
    };
    window.addEventListener('pageshow', onShow);
    return () => window.removeEventListener('pageshow', onShow);
  }, []);

  const apply = useMutation({
    mutationFn: (code: string) => fetchQuote(course.id, code),
    onSuccess: (next) => setQuote(next),
  });
  const pay = useMutation({
    mutationFn: async () => {
      const body = { courseId: course.id, ...(quote.coupon ? { couponCode: quote.coupon.code } : {}) };
      let step = checkoutStepOf(await createOrder(body, idempotencyKey));
      if (step.kind === 'spent') {
        // The key's order ended unpaid (declined, then Back restored this page with the same key):
        // this click is a new purchase, under a new key, once.
        const fresh = crypto.randomUUID();
        setIdempotencyKey(fresh);
        step = checkoutStepOf(await createOrder(body, fresh));
      }
      if (step.kind === 'spent' || step.kind === 'not_ready') throw new CheckoutNotReadyError();
      return step;
    },
    onSuccess: (step) => {
      setRedirecting(true);
      if (step.kind === 'gateway') window.location.assign(step.url);
      // Paid already: a coupon made it free, or this key's payment went through before.
      else void navigate(successPath(step.orderId));
    },
    onError: (error) => {
      const beingPaid = orderBeingPaidOf(error);
      if (beingPaid) {
        // The open order's payment is going through right now: its outcome is on the success page.
        setRedirecting(true);
        void navigate(successPath(beingPaid));
        return;
      }
      // The server answered, so the next attempt is a new one under a new key (a changed coupon
      // under the old key would be refused as a reused key).
      if (error instanceof ApiError || error instanceof CheckoutNotReadyError) setIdempotencyKey(crypto.randomUUID());
      if (error instanceof ApiError && error.code === 'already_enrolled') {
        void queryClient.invalidateQueries({ queryKey: catalogKeys.course(course.slug) });
      }
    },
  });
  const cancelOpen = useMutation({
    mutationFn: (orderId: string) => cancelOrder(orderId),
    onSuccess: () => {
      pay.reset();
      setCancelled(true);
    },
    onError: (error, orderId) => {
      // Too late to cancel: the student is paying that order in another tab.
      const beingPaid = orderBeingPaidOf(error, orderId);
      if (beingPaid) void navigate(successPath(beingPaid));
    },
  });

  const openOrder = openOrderOf(pay.error);
  // Said in the coupon's own live region (no role="alert" in it: that would be announced twice).
  const couponMessage = apply.isError ? describeCommerceError(apply.error) : null;
  const couponRefused = couponRefusalOf(apply.error) !== undefined;
  const busy = pay.isPending || redirecting;

  function onApply(event: FormEvent) {
    event.preventDefault();
    const code = normalizeCouponCode(draft);
    if (!code) return;
    apply.mutate(code);
  }

  function removeCoupon() {
    apply.reset();
    setDraft('');
    setQuote(base);
  }

  if (pay.error instanceof ApiError && pay.error.code === 'already_enrolled')
    return <AlreadyEnrolled course={course} />;

  return (
    <div className="space-y-6">
      <section aria-labelledby="checkout-summary" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="checkout-summary" className="text-lg font-bold text-slate-900">
          {t('commerce.checkout.summary')}
        </h2>
        <dl className="mt-4 space-y-3 text-sm">
          <div className="flex justify-between gap-4">
            <dt className="text-slate-600">{t('commerce.checkout.course')}</dt>
            <dd className="text-right font-medium text-slate-900">
              <Link to={coursePath(course.slug)} className={linkClass}>
                {quote.course.title}
              </Link>
            </dd>
          </div>
          <div className="flex justify-between gap-4">
            <dt className="text-slate-600">{t('commerce.checkout.listPrice')}</dt>
            <dd className="text-slate-900">
              <Money amount={quote.listAmount} currency={quote.currency} />
            </dd>
          </div>
          {quote.coupon && (
            <div className="flex justify-between gap-4">
              <dt className="text-slate-600">{t('commerce.checkout.discount', { code: quote.coupon.code })}</dt>
              <dd className="text-emerald-800">
                −<Money amount={quote.discountAmount} currency={quote.currency} />
              </dd>
            </div>
          )}
          <div className="flex justify-between gap-4 border-t border-slate-200 pt-3 text-base">
            <dt className="font-bold text-slate-900">{t('commerce.checkout.total')}</dt>
            <dd className="font-bold text-slate-900" data-testid="checkout-total">
              <Money amount={quote.amount} currency={quote.currency} />
            </dd>
          </div>
        </dl>
      </section>

      <form onSubmit={onApply} noValidate className="space-y-2">
        <label htmlFor={couponId} className="block text-sm font-medium text-slate-800">
          {t('commerce.checkout.couponLabel')}
        </label>
        <div className="flex gap-2">
          <input
            id={couponId}
            name="coupon"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            placeholder={t('commerce.checkout.couponPlaceholder')}
            autoComplete="off"
            autoCapitalize="characters"
            maxLength={32}
            aria-invalid={couponRefused ? true : undefined}
            aria-describedby={`${couponId}-status`}
            className={`${inputClass} mt-0 uppercase placeholder:normal-case`}
          />
          <button type="submit" className={secondaryButton} disabled={apply.isPending || !draft.trim()}>
            {apply.isPending ? t('auth.pending') : t('commerce.checkout.apply')}
          </button>
        </div>
        <div id={`${couponId}-status`} aria-live="polite" className="text-sm">
          {couponMessage ? (
            <p className="text-red-700">{t(couponMessage.key, couponMessage.values ?? {})}</p>
          ) : quote.coupon ? (
            <p className="flex flex-wrap items-center gap-x-3 text-emerald-800">
              <span>
                {t('commerce.checkout.couponApplied', {
                  code: quote.coupon.code,
                  discount: formatCouponValue(quote.coupon, quote.currency, i18n.language),
                })}
              </span>
              <button type="button" className={linkClass} onClick={removeCoupon}>
                {t('commerce.checkout.removeCoupon')}
              </button>
            </p>
          ) : null}
        </div>
      </form>

      <div className="space-y-3">
        <button type="button" className={`${primaryButton} w-full`} disabled={busy} onClick={() => pay.mutate()}>
          {quote.amount === 0
            ? t('commerce.checkout.getFree')
            : t('commerce.checkout.pay', { amount: formatMoney(quote.amount, quote.currency, i18n.language) })}
        </button>
        <p className="text-xs text-slate-600">
          {quote.gateway === 'test' ? t('commerce.checkout.testGateway') : t('commerce.checkout.stripeGateway')}
        </p>
        {/* One live region; what appears in it carries no role of its own, so it is said once. */}
        <div role="status" className="space-y-2">
          {busy && <p className="text-sm text-slate-700">{t('commerce.checkout.redirecting')}</p>}
          {cancelled && !pay.isError && (
            <p className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-800">
              {t('commerce.checkout.openCancelled')}
            </p>
          )}
        </div>
        {openOrder ? (
          <div
            role="alert"
            className="space-y-3 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-950"
          >
            <p>{t('commerce.errors.order_open')}</p>
            <div className="flex flex-wrap gap-2">
              {openOrder.checkoutUrl && (
                <a href={openOrder.checkoutUrl} className={primaryButton}>
                  {t('commerce.checkout.continuePayment')}
                </a>
              )}
              <button
                type="button"
                className={secondaryButton}
                disabled={cancelOpen.isPending}
                onClick={() => cancelOpen.mutate(openOrder.orderId)}
              >
                {cancelOpen.isPending ? t('auth.pending') : t('commerce.checkout.cancelOpen')}
              </button>
            </div>
            <CommerceAlert error={cancelOpen.error} />
          </div>
        ) : (
          <CommerceAlert error={pay.error} />
        )}
      </div>
    </div>
  );
}

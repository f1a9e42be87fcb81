import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { fromMajorUnits } from '../catalog/format';
import { CURRENCIES } from '../catalog/types';
import { useDebounced } from '../catalog/useDebounced';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { PagedListState, Pager } from '../components/adminList';
import { Notice, SelectField, TextField, linkClass, primaryButton, secondaryButton } from '../components/form';
import { formatShortDateTime } from '../lib/time';
import { useNow } from '../lib/useNow';
import {
  commerceKeys,
  createCoupon,
  fetchAllStudioCourses,
  fetchCoupons,
  fetchPublishedCourses,
  updateCoupon,
} from './api';
import { CommerceAlert, CommercePage } from './components';
import { couponCurrencyOf, courseOptionsOf, type CourseOption } from './couponForm';
import { COUPON_CODE, formatCouponValue, normalizeCouponCode } from './format';
import type { Coupon, CouponKind, Currency, NewCoupon } from './types';

const PAGE_SIZE = 20;
/** The course select's value for a coupon valid on every course (admins only). */
const SITE_WIDE = '';

/** /studio/coupons: the instructor's coupons (every coupon for admins) and a form for a new one. */
export function CouponsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('commerce.coupons.title'));
  const [page, setPage] = useState(1);
  const query = { page, pageSize: PAGE_SIZE };
  const coupons = useQuery({
    queryKey: commerceKeys.coupons(query),
    queryFn: ({ signal }) => fetchCoupons(query, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <CommercePage
      title={t('commerce.coupons.title')}
      width="max-w-5xl"
      actions={
        <Link to="/studio/revenue" className={linkClass}>
          {t('commerce.revenue.title')}
        </Link>
      }
    >
      <CreateCouponForm />
      <section aria-labelledby="coupon-list" className="mt-10">
        <h2 id="coupon-list" className="text-xl font-bold text-slate-900">
          {t('commerce.coupons.list')}
        </h2>
        <PagedListState query={coupons} emptyText={t('commerce.coupons.empty')}>
          {(items) => <CouponTable items={items} />}
        </PagedListState>
        <Pager page={page} result={coupons.data} onPageChange={setPage} />
      </section>
    </CommercePage>
  );
}

/**
 * Courses a coupon may be tied to: every paid course of the instructor; admins also search the
 * published catalogue (a page of matches at a time, more on demand), not only its first page.
 */
function useCourseOptions(isAdmin: boolean, search: string, kept: CourseOption | undefined) {
  const studio = useQuery({
    queryKey: commerceKeys.couponCourses,
    queryFn: ({ signal }) => fetchAllStudioCourses(signal),
  });
  const catalogue = useInfiniteQuery({
    queryKey: commerceKeys.publishedCourses(search),
    queryFn: ({ pageParam, signal }) => fetchPublishedCourses({ q: search, page: pageParam }, signal),
    initialPageParam: 1,
    getNextPageParam: (last) => (last.page * last.pageSize < last.total ? last.page + 1 : undefined),
    enabled: isAdmin,
    placeholderData: keepPreviousData,
  });
  const found = catalogue.data?.pages.flatMap((page) => page.items) ?? [];
  return { options: courseOptionsOf([studio.data ?? [], found], kept), catalogue };
}

type Errors = Partial<Record<'code' | 'value' | 'course' | 'maxUses' | 'expiresAt', string>>;

function CreateCouponForm() {
  const { t } = useTranslation();
  const { state } = useAuth();
  const isAdmin = state.status === 'authenticated' && state.user.role === 'admin';
  const [courseSearch, setCourseSearch] = useState('');
  const [picked, setPicked] = useState<CourseOption | undefined>();
  const searched = useDebounced(courseSearch.trim(), 300);
  const { options: courses, catalogue } = useCourseOptions(isAdmin, searched, picked);
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [kind, setKind] = useState<CouponKind>('percent');
  const [percent, setPercent] = useState('10');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState<Currency>('KRW');
  // Null until one is chosen; SITE_WIDE once an admin chooses "every course".
  const [courseId, setCourseId] = useState<string | null>(null);
  const [expiresOn, setExpiresOn] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [created, setCreated] = useState<string | null>(null);
  // Until one is picked, the first course (instructors) or site-wide (admins).
  const selected = courseId ?? (isAdmin ? SITE_WIDE : (courses[0]?.id ?? SITE_WIDE));
  const selectedCourse = courses.find((course) => course.id === selected);
  // A course's fixed coupon is in the course's currency; only a site-wide one lets the admin choose.
  const amountCurrency = couponCurrencyOf(kind, selectedCourse, currency);

  const create = useMutation({
    mutationFn: (body: NewCoupon) => createCoupon(body),
    onSuccess: ({ coupon }) => {
      setCreated(coupon.code);
      setCode('');
      setMaxUses('');
      setExpiresOn('');
      void queryClient.invalidateQueries({ queryKey: ['studio', 'coupons'] });
    },
  });

  function chooseCourse(id: string) {
    setCourseId(id);
    const course = courses.find((option) => option.id === id);
    setPicked(course);
    if (course) setCurrency(course.currency);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    const found: Errors = {};
    const body: NewCoupon = {
      code: normalizeCouponCode(code),
      kind,
      courseId: selected === SITE_WIDE ? null : selected,
    };
    if (!COUPON_CODE.test(code.trim())) found.code = t('commerce.coupons.codeInvalid');
    if (kind === 'percent') {
      const value = Number(percent);
      if (!Number.isInteger(value) || value < 1 || value > 100) found.value = t('commerce.coupons.percentInvalid');
      else body.percentOff = value;
    } else {
      const amountIn = amountCurrency?.currency ?? currency;
      const value = fromMajorUnits(amount, amountIn);
      if (value === undefined || value <= 0) found.value = t('commerce.coupons.amountInvalid');
      else {
        body.amountOff = value;
        body.currency = amountIn;
      }
    }
    if (selected === SITE_WIDE && !isAdmin) found.course = t('commerce.coupons.courseRequired');
    if (maxUses.trim()) {
      const value = Number(maxUses);
      if (!Number.isInteger(value) || value < 1) found.maxUses = t('commerce.coupons.maxUsesInvalid');
      else body.maxUses = value;
    }
    if (expiresOn) {
      // The end of the chosen day where the instructor is.
      const end = new Date(`${expiresOn}T23:59:59`);
      if (Number.isNaN(end.getTime()) || end.getTime() <= Date.now())
        found.expiresAt = t('commerce.coupons.expiryPast');
      else body.expiresAt = end.toISOString();
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      const first = Object.keys(found)[0];
      document
        .querySelector<HTMLElement>(`[data-coupon-field="${first}"] :is(select, input:not([type="search"]))`)
        ?.focus();
      return;
    }
    create.mutate(body);
  }

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-labelledby="new-coupon"
      className="max-w-2xl space-y-4 rounded-xl border border-slate-200 bg-white p-5"
    >
      <h2 id="new-coupon" className="text-lg font-bold text-slate-900">
        {t('commerce.coupons.create')}
      </h2>
      <div className="grid gap-4 sm:grid-cols-2">
        <div data-coupon-field="code">
          <TextField
            label={t('commerce.coupons.code')}
            name="code"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            hint={t('commerce.coupons.codeHint')}
            error={errors.code}
            autoComplete="off"
            maxLength={32}
          />
        </div>
        <SelectField
          label={t('commerce.coupons.kind')}
          name="kind"
          value={kind}
          onChange={(event) => setKind(event.target.value as CouponKind)}
        >
          <option value="percent">{t('commerce.coupons.percent')}</option>
          <option value="fixed">{t('commerce.coupons.fixed')}</option>
        </SelectField>
        {kind === 'percent' ? (
          <div data-coupon-field="value">
            <TextField
              label={t('commerce.coupons.percentOff')}
              name="percentOff"
              type="number"
              inputMode="numeric"
              min={1}
              max={100}
              value={percent}
              onChange={(event) => setPercent(event.target.value)}
              error={errors.value}
            />
          </div>
        ) : (
          <div className="grid grid-cols-[1fr_7rem] gap-2" data-coupon-field="value">
            <TextField
              label={t('commerce.coupons.amountOff')}
              name="amountOff"
              inputMode="decimal"
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              error={errors.value}
            />
            <SelectField
              label={t('commerce.coupons.currency')}
              name="currency"
              value={amountCurrency?.currency ?? currency}
              onChange={(event) => setCurrency(event.target.value as Currency)}
              disabled={amountCurrency?.locked}
              hint={amountCurrency?.locked ? t('commerce.coupons.currencyFromCourse') : undefined}
            >
              {CURRENCIES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </SelectField>
          </div>
        )}
        <div data-coupon-field="course" className="space-y-2 sm:col-span-2">
          {isAdmin && (
            <TextField
              label={t('commerce.coupons.findCourse')}
              name="courseSearch"
              type="search"
              value={courseSearch}
              onChange={(event) => setCourseSearch(event.target.value)}
              hint={t('commerce.coupons.findCourseHint')}
              autoComplete="off"
              maxLength={200}
              // The list follows the typing; Enter here must not create the coupon.
              onKeyDown={(event) => {
                if (event.key === 'Enter') event.preventDefault();
              }}
            />
          )}
          <SelectField
            label={t('commerce.coupons.course')}
            name="course"
            value={selected}
            onChange={(event) => chooseCourse(event.target.value)}
            error={errors.course}
          >
            {isAdmin && <option value={SITE_WIDE}>{t('commerce.coupons.siteWide')}</option>}
            {!isAdmin && courses.length === 0 && <option value={SITE_WIDE}>{t('commerce.coupons.noCourses')}</option>}
            {courses.map((course) => (
              <option key={course.id} value={course.id}>
                {t('commerce.coupons.courseOption', { title: course.title, currency: course.currency })}
              </option>
            ))}
          </SelectField>
          {isAdmin && catalogue.hasNextPage && (
            <button
              type="button"
              className={secondaryButton}
              disabled={catalogue.isFetchingNextPage}
              onClick={() => void catalogue.fetchNextPage()}
            >
              {catalogue.isFetchingNextPage ? t('catalog.loading') : t('commerce.coupons.moreCourses')}
            </button>
          )}
        </div>
        <div data-coupon-field="expiresAt">
          <TextField
            label={t('commerce.coupons.expiresOn')}
            name="expiresOn"
            type="date"
            value={expiresOn}
            onChange={(event) => setExpiresOn(event.target.value)}
            error={errors.expiresAt}
          />
        </div>
        <div data-coupon-field="maxUses">
          <TextField
            label={t('commerce.coupons.maxUses')}
            name="maxUses"
            type="number"
            inputMode="numeric"
            min={1}
            value={maxUses}
            onChange={(event) => setMaxUses(event.target.value)}
            error={errors.maxUses}
          />
        </div>
      </div>
      <button type="submit" className={primaryButton} disabled={create.isPending}>
        {create.isPending ? t('auth.pending') : t('commerce.coupons.submit')}
      </button>
      <div aria-live="polite">{created && <Notice>{t('commerce.coupons.created', { code: created })}</Notice>}</div>
      <CommerceAlert error={create.error} />
    </form>
  );
}

function CouponTable({ items }: { items: Coupon[] }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: (coupon: Coupon) => updateCoupon(coupon.id, { active: !coupon.active }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['studio', 'coupons'] }),
  });
  return (
    <>
      <div className="mt-4">
        <CommerceAlert error={toggle.error} />
      </div>
      <div className="mt-4 overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">{t('commerce.coupons.list')}</caption>
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.code')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.discount')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.course')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.uses')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.expires')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                {t('commerce.coupons.state')}
              </th>
              <th scope="col" className="px-4 py-3 font-medium">
                <span className="sr-only">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {items.map((coupon) => (
              <CouponRow
                key={coupon.id}
                coupon={coupon}
                busy={toggle.isPending}
                onToggle={() => toggle.mutate(coupon)}
              />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function CouponRow({ coupon, busy, onToggle }: { coupon: Coupon; busy: boolean; onToggle: () => void }) {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const expired = coupon.expiresAt !== null && new Date(coupon.expiresAt).getTime() <= now;
  return (
    <tr>
      <th scope="row" className="px-4 py-3 font-mono font-bold text-slate-900">
        {coupon.code}
      </th>
      <td className="px-4 py-3">{formatCouponValue(coupon, coupon.currency ?? 'KRW', i18n.language)}</td>
      <td className="px-4 py-3">{coupon.course ? coupon.course.title : t('commerce.coupons.siteWide')}</td>
      <td className="px-4 py-3 tabular-nums">
        {coupon.maxUses === null
          ? t('commerce.coupons.usesUnlimited', { used: coupon.usedCount })
          : t('commerce.coupons.usesOf', { used: coupon.usedCount, max: coupon.maxUses })}
      </td>
      <td className="px-4 py-3 whitespace-nowrap">
        {coupon.expiresAt
          ? formatShortDateTime(new Date(coupon.expiresAt), i18n.language)
          : t('commerce.coupons.never')}
      </td>
      <td className="px-4 py-3">
        {!coupon.active
          ? t('commerce.coupons.inactive')
          : expired
            ? t('commerce.coupons.expired')
            : t('commerce.coupons.active')}
      </td>
      <td className="px-4 py-3 text-right">
        <button
          type="button"
          className={secondaryButton}
          disabled={busy}
          aria-label={t(coupon.active ? 'commerce.coupons.deactivateLabel' : 'commerce.coupons.activateLabel', {
            code: coupon.code,
          })}
          onClick={onToggle}
        >
          {coupon.active ? t('commerce.coupons.deactivate') : t('commerce.coupons.activate')}
        </button>
      </td>
    </tr>
  );
}

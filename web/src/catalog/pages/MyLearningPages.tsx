import type { ReactNode } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, useSearchParams } from 'react-router';
import { focusRing, linkClass } from '../../components/form';
import { formatShortDateTime } from '../../lib/time';
import { catalogKeys, fetchEnrollments, fetchWishlist } from '../api';
import { PageLinks, QueryState } from '../components/AsyncState';
import { CourseCard, CourseGrid } from '../components/CourseCard';
import { useDocumentTitle } from '../useDocumentTitle';

function usePageParam(): [number, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  return [page, (next) => setParams(next > 1 ? { page: String(next) } : {})];
}

const tabClass = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-2 text-sm font-medium ${isActive ? 'bg-indigo-50 text-indigo-900' : 'text-slate-600 hover:bg-slate-100'} ${focusRing}`;

/** My learning's heading and tabs (progress, courses, wishlist) around one tab's content. */
export function MyLearningFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  useDocumentTitle(title);
  return (
    <section className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t('catalog.me.title')}</h1>
      <nav aria-label={t('catalog.me.title')} className="mt-4">
        <ul className="flex flex-wrap gap-2">
          <li>
            <NavLink to="/me/learning" className={tabClass}>
              {t('learning.tab')}
            </NavLink>
          </li>
          <li>
            <NavLink to="/me/courses" className={tabClass}>
              {t('catalog.me.courses')}
            </NavLink>
          </li>
          <li>
            <NavLink to="/me/wishlist" className={tabClass}>
              {t('catalog.me.wishlist')}
            </NavLink>
          </li>
        </ul>
      </nav>
      <h2 className="sr-only">{title}</h2>
      <div className="mt-6">{children}</div>
    </section>
  );
}

export function MyCoursesPage() {
  const { t, i18n } = useTranslation();
  const [page, setPage] = usePageParam();
  const enrollments = useQuery({
    queryKey: catalogKeys.enrollments(page),
    queryFn: ({ signal }) => fetchEnrollments(page, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <MyLearningFrame title={t('catalog.me.courses')}>
      <QueryState query={enrollments}>
        {(result) =>
          result.items.length === 0 ? (
            <p className="text-slate-600">
              {t('catalog.me.noCourses')}{' '}
              <Link to="/search" className={linkClass}>
                {t('catalog.me.browse')}
              </Link>
            </p>
          ) : (
            <>
              <ul className="grid gap-5 sm:grid-cols-2 lg:grid-cols-4">
                {result.items.map((enrollment, index) => (
                  <li key={enrollment.course.id} className="flex flex-col gap-1">
                    <CourseCard course={enrollment.course} eager={index < 4} />
                    <p className="text-xs text-slate-500">
                      {t('catalog.me.enrolledAt', {
                        date: formatShortDateTime(new Date(enrollment.enrolledAt), i18n.language),
                      })}
                    </p>
                  </li>
                ))}
              </ul>
              <PageLinks page={page} total={result.total} pageSize={result.pageSize} onPage={setPage} />
            </>
          )
        }
      </QueryState>
    </MyLearningFrame>
  );
}

export function WishlistPage() {
  const { t } = useTranslation();
  const [page, setPage] = usePageParam();
  const wishlist = useQuery({
    queryKey: catalogKeys.wishlist(page),
    queryFn: ({ signal }) => fetchWishlist(page, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <MyLearningFrame title={t('catalog.me.wishlist')}>
      <QueryState query={wishlist}>
        {(result) =>
          result.items.length === 0 ? (
            <p className="text-slate-600">{t('catalog.me.noWishlist')}</p>
          ) : (
            <>
              <CourseGrid courses={result.items} eagerCount={4} />
              <PageLinks page={page} total={result.total} pageSize={result.pageSize} onPage={setPage} />
            </>
          )
        }
      </QueryState>
    </MyLearningFrame>
  );
}

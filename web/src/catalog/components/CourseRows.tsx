import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { linkClass } from '../../components/form';
import { catalogKeys, fetchCategories, fetchCourses } from '../api';
import type { CourseSort } from '../types';
import { QueryState } from './AsyncState';
import { categoryName, CourseGrid } from './CourseCard';

const ROW_SIZE = 4;

/** One titled row of course cards with a link to the full list. */
export function CourseRow({
  title,
  sort,
  category,
  moreHref,
  eager = false,
}: {
  title: string;
  sort: CourseSort;
  category?: string;
  moreHref: string;
  eager?: boolean;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const query = { category, sort, page: 1, pageSize: ROW_SIZE };
  const courses = useQuery({
    queryKey: catalogKeys.courses(query),
    queryFn: ({ signal }) => fetchCourses(query, signal),
  });
  // An empty category row is noise on the home page.
  if (courses.isSuccess && courses.data.items.length === 0 && category) return null;
  return (
    <section aria-labelledby={headingId} className="mt-12">
      <div className="flex items-baseline justify-between gap-4">
        <h2 id={headingId} className="text-xl font-bold tracking-tight text-slate-900">
          {title}
        </h2>
        <Link to={moreHref} className={`text-sm ${linkClass}`} aria-label={t('catalog.home.seeAllOf', { title })}>
          {t('catalog.home.seeAll')}
        </Link>
      </div>
      <div className="mt-4">
        <QueryState query={courses}>
          {(page) =>
            page.items.length === 0 ? (
              <p className="text-sm text-slate-600">{t('catalog.empty')}</p>
            ) : (
              <CourseGrid courses={page.items} eagerCount={eager ? ROW_SIZE : 0} />
            )
          }
        </QueryState>
      </div>
    </section>
  );
}

/** The home page's catalogue: new, popular, top rated, then a row per top-level category. */
export function CatalogRows() {
  const { t, i18n } = useTranslation();
  const categories = useQuery({ queryKey: catalogKeys.categories, queryFn: ({ signal }) => fetchCategories(signal) });
  const withCourses = (categories.data?.items ?? []).filter((category) => category.courseCount > 0).slice(0, 4);
  return (
    <div className="mx-auto max-w-6xl px-4 pb-8 sm:px-6">
      <CourseRow title={t('catalog.home.new')} sort="newest" moreHref="/search?sort=newest" eager />
      <CourseRow title={t('catalog.home.popular')} sort="popular" moreHref="/search?sort=popular" />
      <CourseRow title={t('catalog.home.topRated')} sort="rating" moreHref="/search?sort=rating" />
      {withCourses.map((category) => (
        <CourseRow
          key={category.id}
          title={categoryName(category, i18n.language)}
          sort="popular"
          category={category.slug}
          moreHref={`/categories/${encodeURIComponent(category.slug)}`}
        />
      ))}
      {withCourses.length > 0 && (
        <nav aria-label={t('catalog.home.categories')} className="mt-12">
          <h2 className="text-xl font-bold tracking-tight text-slate-900">{t('catalog.home.categories')}</h2>
          <ul className="mt-4 flex flex-wrap gap-2">
            {(categories.data?.items ?? []).map((category) => (
              <li key={category.id}>
                <Link
                  to={`/categories/${encodeURIComponent(category.slug)}`}
                  className="inline-block rounded-full border border-slate-300 bg-white px-4 py-1.5 text-sm text-slate-800 hover:border-indigo-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                >
                  {categoryName(category, i18n.language)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </div>
  );
}

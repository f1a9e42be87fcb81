import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { inputClass } from '../../components/form';
import { NotFoundPage } from '../../pages/NotFoundPage';
import { catalogKeys, fetchCategories, fetchCourses } from '../api';
import { Loading, PageLinks, QueryState } from '../components/AsyncState';
import { categoryName, CourseGrid } from '../components/CourseCard';
import type { Category, CategoryLeaf, CourseSort } from '../types';
import { useDocumentTitle } from '../useDocumentTitle';

const SORTS: readonly CourseSort[] = ['popular', 'newest', 'rating'];
const PAGE_SIZE = 20;

function findCategory(
  items: Category[],
  slug: string,
): { category: CategoryLeaf & { children?: CategoryLeaf[] }; parent?: Category } | undefined {
  for (const item of items) {
    if (item.slug === slug) return { category: item };
    const child = item.children.find((candidate) => candidate.slug === slug);
    if (child) return { category: child, parent: item };
  }
  return undefined;
}

export function CategoryPage() {
  const { t, i18n } = useTranslation();
  const { slug = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const sort = SORTS.find((value) => value === params.get('sort')) ?? 'popular';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const categories = useQuery({ queryKey: catalogKeys.categories, queryFn: ({ signal }) => fetchCategories(signal) });
  const query = { category: slug, sort, page, pageSize: PAGE_SIZE };
  const courses = useQuery({
    queryKey: catalogKeys.courses(query),
    queryFn: ({ signal }) => fetchCourses(query, signal),
    placeholderData: keepPreviousData,
  });
  const found = categories.data ? findCategory(categories.data.items, slug) : undefined;
  const name = found ? categoryName(found.category, i18n.language) : '';
  useDocumentTitle(name || undefined);

  if (categories.isPending)
    return (
      <div className="mx-auto max-w-6xl px-4 sm:px-6">
        <Loading />
      </div>
    );
  if (categories.isSuccess && !found) return <NotFoundPage />;

  function update(next: Record<string, string | undefined>) {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) merged.set(key, value);
      else merged.delete(key);
    }
    setParams(merged, { flushSync: true });
  }

  return (
    <section className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      {found?.parent && (
        <nav aria-label={t('catalog.breadcrumb')} className="text-sm">
          <Link
            to={`/categories/${encodeURIComponent(found.parent.slug)}`}
            className="text-indigo-700 underline underline-offset-4"
          >
            {categoryName(found.parent, i18n.language)}
          </Link>
        </nav>
      )}
      <h1 className="mt-1 text-3xl font-bold tracking-tight text-slate-900">{name}</h1>
      {found?.category.children && found.category.children.length > 0 && (
        <ul className="mt-4 flex flex-wrap gap-2" aria-label={t('catalog.category.subcategories')}>
          {found.category.children.map((child) => (
            <li key={child.id}>
              <Link
                to={`/categories/${encodeURIComponent(child.slug)}`}
                className="inline-block rounded-full border border-slate-300 bg-white px-3 py-1 text-sm hover:border-indigo-400 focus-visible:outline-2 focus-visible:outline-indigo-600"
              >
                {categoryName(child, i18n.language)}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <div className="mt-6 flex flex-wrap items-end justify-between gap-4">
        <p className="text-sm text-slate-600" aria-live="polite">
          {courses.data ? t('catalog.search.resultCount', { count: courses.data.total }) : ''}
        </p>
        <div>
          <label htmlFor="category-sort" className="block text-sm font-medium text-slate-800">
            {t('catalog.search.sort')}
          </label>
          <select
            id="category-sort"
            value={sort}
            onChange={(event) => update({ sort: event.target.value, page: undefined })}
            className={inputClass}
          >
            {SORTS.map((value) => (
              <option key={value} value={value}>
                {t(`catalog.sort.${value}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="mt-6">
        <QueryState query={courses}>
          {(result) =>
            result.items.length === 0 ? (
              <p className="text-slate-600">{t('catalog.empty')}</p>
            ) : (
              <>
                <CourseGrid courses={result.items} eagerCount={4} />
                <PageLinks
                  page={page}
                  total={result.total}
                  pageSize={result.pageSize}
                  onPage={(next) => update({ page: next > 1 ? String(next) : undefined })}
                />
              </>
            )
          }
        </QueryState>
      </div>
    </section>
  );
}

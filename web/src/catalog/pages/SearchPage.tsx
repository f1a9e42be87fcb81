import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { SelectField, focusRing, inputClass, secondaryButton } from '../../components/form';
import { catalogKeys, fetchCategories, searchCourses } from '../api';
import { PageLinks, QueryState } from '../components/AsyncState';
import { categoryName, CourseGrid } from '../components/CourseCard';
import { CurrencySelect } from '../components/CurrencySelect';
import { formatCount, fromMajorUnits, toMajorUnits } from '../format';
import { hasFilters, parseSearchParams, toSearchParams, updateSearchState, type SearchState } from '../searchState';
import {
  COURSE_LANGUAGES,
  COURSE_LEVELS,
  RATING_STEPS,
  SEARCH_SORTS,
  type Category,
  type Currency,
  type SearchFacets,
  type SearchSort,
} from '../types';
import { useDocumentTitle } from '../useDocumentTitle';

export function SearchPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const state = parseSearchParams(params);
  const [showFilters, setShowFilters] = useState(false);
  const results = useQuery({
    queryKey: catalogKeys.search(state),
    queryFn: ({ signal }) => searchCourses(state, signal),
    placeholderData: keepPreviousData,
  });
  const categories = useQuery({ queryKey: catalogKeys.categories, queryFn: ({ signal }) => fetchCategories(signal) });
  useDocumentTitle(state.q ? t('catalog.search.titleFor', { q: state.q }) : t('catalog.search.title'));

  function update(patch: Parameters<typeof updateSearchState>[1]) {
    // flushSync: a controlled checkbox or radio shows its new state at once, rather than
    // flicking back until the navigation's transition commits.
    setParams(toSearchParams(updateSearchState(state, patch)), { flushSync: true });
  }

  const facets = results.data?.facets;
  return (
    <div className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">
        {state.q ? t('catalog.search.titleFor', { q: state.q }) : t('catalog.search.title')}
      </h1>
      <div className="mt-8 grid gap-8 lg:grid-cols-[16rem_1fr]">
        <aside aria-label={t('catalog.search.filters')}>
          <h2 className="sr-only">{t('catalog.search.filters')}</h2>
          {/* On small screens the filters fold away so the results are not pushed below them. */}
          <button
            type="button"
            aria-expanded={showFilters}
            aria-controls="search-filters"
            onClick={() => setShowFilters((value) => !value)}
            className={`${secondaryButton} w-full lg:hidden`}
          >
            {hasFilters(state) ? t('catalog.search.filtersActive') : t('catalog.search.filters')}
          </button>
          <div id="search-filters" className={`${showFilters ? 'mt-4 block' : 'hidden'} lg:mt-0 lg:block`}>
            <Filters state={state} facets={facets} categories={categories.data?.items ?? []} update={update} />
          </div>
        </aside>
        <section aria-labelledby="search-results-heading">
          <div className="flex flex-wrap items-end justify-between gap-4">
            <h2 id="search-results-heading" className="text-sm text-slate-600" aria-live="polite" aria-atomic="true">
              {results.data
                ? t(
                    results.data.totalIsLowerBound ? 'catalog.search.resultCountAtLeast' : 'catalog.search.resultCount',
                    {
                      count: results.data.total,
                    },
                  )
                : t('catalog.search.searching')}
            </h2>
            <SelectField
              label={t('catalog.search.sort')}
              value={state.sort}
              onChange={(event) => update({ sort: event.target.value as SearchSort })}
            >
              {SEARCH_SORTS.map((sort) => (
                <option key={sort} value={sort}>
                  {t(`catalog.sort.${sort}`)}
                </option>
              ))}
            </SelectField>
          </div>
          <div className="mt-6" aria-busy={results.isFetching}>
            <QueryState query={results}>
              {(result) =>
                result.items.length === 0 ? (
                  <p className="text-slate-600">{t('catalog.search.noResults')}</p>
                ) : (
                  <>
                    <CourseGrid courses={result.items} eagerCount={3} narrow />
                    <PageLinks
                      page={state.page}
                      total={result.total}
                      pageSize={result.pageSize}
                      onPage={(page) => {
                        update({ page });
                        window.scrollTo({ top: 0 });
                      }}
                    />
                  </>
                )
              }
            </QueryState>
          </div>
        </section>
      </div>
    </div>
  );
}

function Fieldset({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="border-t border-slate-200 pt-4">
      <legend className="text-sm font-bold text-slate-900">{legend}</legend>
      <div className="mt-2 space-y-1">{children}</div>
    </fieldset>
  );
}

function Choice({
  name,
  checked,
  label,
  count,
  onChange,
}: {
  name: string;
  checked: boolean;
  label: string;
  count?: number | undefined;
  onChange: () => void;
}) {
  const { i18n } = useTranslation();
  const id = useId();
  return (
    <div className="flex items-center gap-2 text-sm">
      <input
        id={id}
        type="radio"
        name={name}
        checked={checked}
        onChange={onChange}
        className={`size-4 accent-indigo-700 ${focusRing}`}
      />
      <label htmlFor={id} className="flex flex-1 justify-between gap-2 text-slate-800">
        <span>{label}</span>
        {count !== undefined && <span className="text-slate-500">({formatCount(count, i18n.language)})</span>}
      </label>
    </div>
  );
}

function Filters({
  state,
  facets,
  categories,
  update,
}: {
  state: SearchState;
  facets: SearchFacets | undefined;
  categories: Category[];
  update: (patch: Parameters<typeof updateSearchState>[1]) => void;
}) {
  const { t, i18n } = useTranslation();
  const names = new Map<string, string>();
  for (const category of categories) {
    names.set(category.slug, categoryName(category, i18n.language));
    for (const child of category.children) names.set(child.slug, categoryName(child, i18n.language));
  }
  const categoryFacets = facets?.category ?? [];
  // The chosen category stays listed even when the facets no longer count it.
  const categoryOptions =
    state.category && !categoryFacets.some((facet) => facet.slug === state.category)
      ? [...categoryFacets, { slug: state.category, count: 0 }]
      : categoryFacets;
  const countOf = <V,>(list: { value: V; count: number }[] | undefined, value: V) =>
    list?.find((item) => item.value === value)?.count ?? (facets ? 0 : undefined);

  return (
    <div className="space-y-5">
      {hasFilters(state) && (
        <button
          type="button"
          className={`${secondaryButton} w-full`}
          onClick={() =>
            update({
              category: undefined,
              level: undefined,
              language: undefined,
              free: undefined,
              minRating: undefined,
              priceMin: undefined,
              priceMax: undefined,
              currency: undefined,
            })
          }
        >
          {t('catalog.search.clearFilters')}
        </button>
      )}
      <Fieldset legend={t('catalog.search.category')}>
        <Choice
          name="category"
          checked={!state.category}
          label={t('catalog.search.any')}
          onChange={() => update({ category: undefined })}
        />
        {categoryOptions.map((facet) => (
          <Choice
            key={facet.slug}
            name="category"
            checked={state.category === facet.slug}
            label={names.get(facet.slug) ?? facet.slug}
            count={facet.count}
            onChange={() => update({ category: facet.slug })}
          />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.search.level')}>
        <Choice
          name="level"
          checked={!state.level}
          label={t('catalog.search.any')}
          onChange={() => update({ level: undefined })}
        />
        {COURSE_LEVELS.map((level) => (
          <Choice
            key={level}
            name="level"
            checked={state.level === level}
            label={t(`catalog.level.${level}`)}
            count={countOf(facets?.level, level)}
            onChange={() => update({ level })}
          />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.search.language')}>
        <Choice
          name="language"
          checked={!state.language}
          label={t('catalog.search.any')}
          onChange={() => update({ language: undefined })}
        />
        {COURSE_LANGUAGES.map((language) => (
          <Choice
            key={language}
            name="language"
            checked={state.language === language}
            label={t(`catalog.languageName.${language}`)}
            count={countOf(facets?.language, language)}
            onChange={() => update({ language })}
          />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.search.rating')}>
        <Choice
          name="rating"
          checked={!state.minRating}
          label={t('catalog.search.any')}
          onChange={() => update({ minRating: undefined })}
        />
        {RATING_STEPS.map((min) => (
          <Choice
            key={min}
            name="rating"
            checked={state.minRating === min}
            label={t('catalog.search.ratingAtLeast', { min })}
            count={facets?.rating.find((item) => item.min === min)?.count ?? (facets ? 0 : undefined)}
            onChange={() => update({ minRating: min })}
          />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.search.price')}>
        <FreeOnly state={state} facets={facets} update={update} />
        {!state.free && (
          <PriceRange key={`${state.currency}-${state.priceMin}-${state.priceMax}`} state={state} update={update} />
        )}
      </Fieldset>
    </div>
  );
}

function FreeOnly({
  state,
  facets,
  update,
}: {
  state: SearchState;
  facets: SearchFacets | undefined;
  update: (patch: Parameters<typeof updateSearchState>[1]) => void;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  return (
    <div className="flex items-center gap-2 text-sm">
      <input
        id={id}
        type="checkbox"
        checked={Boolean(state.free)}
        onChange={(event) => update({ free: event.target.checked ? true : undefined })}
        className={`size-4 accent-indigo-700 ${focusRing}`}
      />
      <label htmlFor={id} className="flex flex-1 justify-between gap-2 text-slate-800">
        <span>{t('catalog.search.freeOnly')}</span>
        {facets && <span className="text-slate-500">({formatCount(facets.price.free, i18n.language)})</span>}
      </label>
    </div>
  );
}

/** Minimum and maximum typed in major units of one currency, applied together. */
function PriceRange({
  state,
  update,
}: {
  state: SearchState;
  update: (patch: Parameters<typeof updateSearchState>[1]) => void;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const [currency, setCurrency] = useState<Currency>(
    state.currency ?? (i18n.language.startsWith('ko') ? 'KRW' : 'USD'),
  );
  const shown = (amount: number | undefined) => (amount === undefined ? '' : String(toMajorUnits(amount, currency)));
  const [min, setMin] = useState(shown(state.priceMin));
  const [max, setMax] = useState(shown(state.priceMax));
  const [error, setError] = useState('');

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const priceMin = min.trim() ? fromMajorUnits(min, currency) : undefined;
    const priceMax = max.trim() ? fromMajorUnits(max, currency) : undefined;
    if ((min.trim() && priceMin === undefined) || (max.trim() && priceMax === undefined)) {
      setError(t('catalog.search.priceInvalid'));
      return;
    }
    setError('');
    update({ currency: priceMin !== undefined || priceMax !== undefined ? currency : undefined, priceMin, priceMax });
  }

  return (
    <form onSubmit={apply} className="mt-3 space-y-2" aria-label={t('catalog.search.priceRange')} noValidate>
      {/* Labelled small, like the price fields beside it in the narrow filter column. */}
      <CurrencySelect value={currency} onChange={setCurrency} className="[&>label]:text-xs [&>label]:text-slate-700" />
      <div className="flex gap-2">
        <div className="flex-1">
          <label htmlFor={`${id}-min`} className="block text-xs font-medium text-slate-700">
            {t('catalog.search.priceMin')}
          </label>
          <input
            id={`${id}-min`}
            inputMode="decimal"
            value={min}
            onChange={(event) => setMin(event.target.value)}
            className={inputClass}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
          />
        </div>
        <div className="flex-1">
          <label htmlFor={`${id}-max`} className="block text-xs font-medium text-slate-700">
            {t('catalog.search.priceMax')}
          </label>
          <input
            id={`${id}-max`}
            inputMode="decimal"
            value={max}
            onChange={(event) => setMax(event.target.value)}
            className={inputClass}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
          />
        </div>
      </div>
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <button type="submit" className={`${secondaryButton} w-full`}>
        {t('catalog.search.applyPrice')}
      </button>
    </form>
  );
}

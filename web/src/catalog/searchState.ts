// The search page keeps all of its state in the URL (shareable, Back works): these functions
// turn the query string into a checked state and back, dropping anything malformed.
import {
  COURSE_LANGUAGES,
  COURSE_LEVELS,
  CURRENCIES,
  RATING_STEPS,
  SEARCH_SORTS,
  type CourseLanguage,
  type CourseLevel,
  type Currency,
  type RatingStep,
  type SearchSort,
} from './types';

export interface SearchState {
  q: string;
  category?: string;
  level?: CourseLevel;
  language?: CourseLanguage;
  /** Minor units of `currency`, as the API takes them. */
  priceMin?: number;
  priceMax?: number;
  currency?: Currency;
  minRating?: RatingStep;
  free?: true;
  sort: SearchSort;
  page: number;
}

export const DEFAULT_SORT: SearchSort = 'relevance';
export const MAX_PAGE = 500;

function oneOf<T extends string | number>(allowed: readonly T[], value: string | null): T | undefined {
  if (value === null) return undefined;
  return allowed.find((candidate) => String(candidate) === value);
}

function wholeNumber(value: string | null, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return number >= min && number <= max ? number : undefined;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,99}$/;

/** The state a query string describes; unknown or malformed values are left out. */
export function parseSearchParams(params: URLSearchParams): SearchState {
  const state: SearchState = {
    q: (params.get('q') ?? '').trim().slice(0, 200),
    sort: oneOf(SEARCH_SORTS, params.get('sort')) ?? DEFAULT_SORT,
    page: wholeNumber(params.get('page'), 1, MAX_PAGE) ?? 1,
  };
  const category = params.get('category');
  if (category && SLUG.test(category)) state.category = category;
  const level = oneOf(COURSE_LEVELS, params.get('level'));
  if (level) state.level = level;
  const language = oneOf(COURSE_LANGUAGES, params.get('language'));
  if (language) state.language = language;
  const minRating = oneOf(RATING_STEPS, params.get('minRating'));
  if (minRating) state.minRating = minRating;
  if (params.get('free') === 'true') state.free = true;
  else {
    // A price range only means something for paid courses, and only in one currency.
    const currency = oneOf(CURRENCIES, params.get('currency'));
    const priceMin = wholeNumber(params.get('priceMin'), 0);
    const priceMax = wholeNumber(params.get('priceMax'), 0);
    if (currency && (priceMin !== undefined || priceMax !== undefined)) {
      state.currency = currency;
      if (priceMin !== undefined) state.priceMin = priceMin;
      if (priceMax !== undefined) state.priceMax = priceMax;
      if (priceMin !== undefined && priceMax !== undefined && priceMin > priceMax) {
        state.priceMin = priceMax;
        state.priceMax = priceMin;
      }
    }
  }
  return state;
}

/** The query string of a state, without default values (so equal states give equal URLs). */
export function toSearchParams(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.category) params.set('category', state.category);
  if (state.level) params.set('level', state.level);
  if (state.language) params.set('language', state.language);
  if (state.free) params.set('free', 'true');
  else if (state.currency && (state.priceMin !== undefined || state.priceMax !== undefined)) {
    params.set('currency', state.currency);
    if (state.priceMin !== undefined) params.set('priceMin', String(state.priceMin));
    if (state.priceMax !== undefined) params.set('priceMax', String(state.priceMax));
  }
  if (state.minRating) params.set('minRating', String(state.minRating));
  if (state.sort !== DEFAULT_SORT) params.set('sort', state.sort);
  if (state.page > 1) params.set('page', String(state.page));
  return params;
}

type Patch = { [K in keyof SearchState]?: SearchState[K] | undefined };

/**
 * The state after one change. Any change other than the page itself goes back to page 1:
 * page 7 of the old results means nothing for the new ones.
 */
export function updateSearchState(state: SearchState, patch: Patch): SearchState {
  const next: Record<string, unknown> = { ...state, page: 1 };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === '') delete next[key];
    else next[key] = value;
  }
  if (next.free) {
    delete next.priceMin;
    delete next.priceMax;
    delete next.currency;
  }
  // Round-tripping through the URL form drops whatever the patch made inconsistent.
  return parseSearchParams(toSearchParams({ sort: DEFAULT_SORT, q: '', page: 1, ...next } as SearchState));
}

/** The GET /search query of a state. */
export function searchQueryOf(state: SearchState): Record<string, string | number | boolean | undefined> {
  return {
    q: state.q || undefined,
    category: state.category,
    level: state.level,
    language: state.language,
    priceMin: state.priceMin,
    priceMax: state.priceMax,
    currency: state.currency,
    minRating: state.minRating,
    free: state.free,
    sort: state.sort,
    page: state.page,
    pageSize: 20,
  };
}

/** Whether any filter (not the text, sort or page) narrows the results. */
export function hasFilters(state: SearchState): boolean {
  return Boolean(
    state.category ||
    state.level ||
    state.language ||
    state.free ||
    state.minRating ||
    state.priceMin !== undefined ||
    state.priceMax !== undefined,
  );
}

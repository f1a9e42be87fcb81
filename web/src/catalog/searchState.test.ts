import { describe, expect, it } from 'vitest';
import { hasFilters, parseSearchParams, searchQueryOf, toSearchParams, updateSearchState } from './searchState';

const parse = (query: string) => parseSearchParams(new URLSearchParams(query));

describe('search URL state', () => {
  it('reads every filter, the sort and the page from the URL', () => {
    expect(parse('q=파이썬&category=programming&level=beginner&language=ko&minRating=4&sort=rating&page=3')).toEqual({
      q: '파이썬',
      category: 'programming',
      level: 'beginner',
      language: 'ko',
      minRating: 4,
      sort: 'rating',
      page: 3,
    });
  });

  it('round-trips a state through the URL unchanged', () => {
    const state = parse('q=data&currency=USD&priceMin=1000&priceMax=5000&sort=price_asc&page=2');
    expect(state).toMatchObject({ currency: 'USD', priceMin: 1000, priceMax: 5000, sort: 'price_asc', page: 2 });
    expect(parse(toSearchParams(state).toString())).toEqual(state);
  });

  it('drops malformed values instead of sending them to the API', () => {
    expect(parse('level=expert&language=fr&minRating=5&sort=cheapest&page=-2&category=Bad Slug!')).toEqual({
      q: '',
      sort: 'relevance',
      page: 1,
    });
    expect(parse('priceMin=abc&priceMax=10')).toEqual({ q: '', sort: 'relevance', page: 1 });
  });

  it('swaps a reversed price range and ignores a range without a currency', () => {
    expect(parse('currency=KRW&priceMin=50000&priceMax=10000')).toMatchObject({ priceMin: 10000, priceMax: 50000 });
    expect(parse('priceMin=1&priceMax=2').priceMin).toBeUndefined();
  });

  it('free only wins over a price range', () => {
    const state = parse('free=true&currency=KRW&priceMin=1000');
    expect(state.free).toBe(true);
    expect(state.priceMin).toBeUndefined();
    expect(toSearchParams(state).toString()).toBe('free=true');
  });

  it('leaves defaults out of the URL', () => {
    expect(toSearchParams(parse('q=js&sort=relevance&page=1')).toString()).toBe('q=js');
  });

  it('goes back to page 1 when a filter changes, and keeps the page when only it changes', () => {
    const state = parse('q=js&page=4');
    expect(updateSearchState(state, { level: 'advanced' })).toMatchObject({ level: 'advanced', page: 1 });
    expect(updateSearchState(state, { page: 5 }).page).toBe(5);
  });

  it('removes a filter set to empty, and free clears the price range', () => {
    const state = parse('q=js&level=beginner&currency=KRW&priceMax=30000');
    expect(updateSearchState(state, { level: undefined }).level).toBeUndefined();
    const free = updateSearchState(state, { free: true });
    expect(free).toMatchObject({ free: true });
    expect(free.priceMax).toBeUndefined();
    expect(hasFilters(updateSearchState(state, { level: undefined, priceMax: undefined }))).toBe(false);
  });

  it('builds the API query with the page size', () => {
    expect(searchQueryOf(parse('q=js&free=true&minRating=3'))).toMatchObject({
      q: 'js',
      free: true,
      minRating: 3,
      sort: 'relevance',
      page: 1,
      pageSize: 20,
    });
  });
});

import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { rowsOf } from '../../platform/db/rows.js';
import { cardColumns, type CardRow } from '../catalog/repository.js';
import { categories, courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';

export type CourseLevel = 'beginner' | 'intermediate' | 'advanced' | 'all';
export type CourseLanguage = 'ko' | 'en';
export type Currency = 'KRW' | 'USD';
export type SearchSort = 'relevance' | 'popular' | 'rating' | 'newest' | 'price_asc' | 'price_desc';

/** The query text, already analysed by the service (see analyzer.ts). */
export interface TextMatch {
  /** `to_tsquery('simple', …)` over the Korean bigrams, every bigram required; null when the query has no Korean. */
  korean: string | null;
  /** The same words as phrases (`a <-> b`), for ranking: exact phrases score higher. */
  koreanPhrase: string | null;
  /** Plain text for `plainto_tsquery('english', …)`; empty when the query has no Latin words. */
  latin: string;
  /** The folded query, for pg_trgm; used only when `fuzzy`. */
  folded: string;
  /** Also accept titles that are trigram-similar to the query (typos). */
  fuzzy: boolean;
}

export interface SearchFilters {
  category?: string;
  level?: CourseLevel;
  language?: CourseLanguage;
  currency?: Currency;
  priceMin?: number;
  priceMax?: number;
  minRating?: number;
  free?: boolean;
}

export interface FacetCounts {
  category: { slug: string; count: number }[];
  level: { value: CourseLevel; count: number }[];
  language: { value: CourseLanguage; count: number }[];
  price: { free: number; paid: number };
  rating: { min: 4 | 3 | 2 | 1; count: number }[];
}

export interface SearchPage {
  /** Text matches before any filter: the service uses it to decide whether to retry fuzzily. */
  textMatches: number;
  total: number;
  /** True when counting stopped at the cap: `total` and the facet counts are lower bounds. */
  totalIsLowerBound: boolean;
  /** The page's course ids, in order. */
  ids: string[];
  facets: FacetCounts;
}

export interface SuggestRow {
  slug: string;
  title: string;
}

const TRUE = sql`true`;

/**
 * The text condition over `d` (documents): every Korean bigram and every English word present,
 * or, when `fuzzy`, a title that looks like the query. `true` when there is no query text.
 */
function textCondition(t: TextMatch | null): SQL {
  if (!t) return TRUE;
  const parts: SQL[] = [];
  if (t.korean) parts.push(sql`d.bigrams @@ to_tsquery('simple', ${t.korean})`);
  if (t.latin) {
    // Stop words alone ("the") make an empty tsquery, which matches nothing: ignore them beside
    // Korean words, but let them match nothing on their own (the fuzzy retry may still find titles).
    parts.push(
      t.korean
        ? sql`(numnode(plainto_tsquery('english', ${t.latin})) = 0 or d.words @@ plainto_tsquery('english', ${t.latin}))`
        : sql`d.words @@ plainto_tsquery('english', ${t.latin})`,
    );
  }
  const exact = parts.length ? sql.join(parts, sql` and `) : sql`false`;
  return t.fuzzy ? sql`((${exact}) or ${t.folded} <% d.title_folded)` : sql`(${exact})`;
}

/**
 * Relevance: full-text ranks of both vectors (Korean ranked by the phrase, so adjacent bigrams
 * score above scattered ones), plus trigram similarity when typos are accepted.
 */
function relevance(t: TextMatch | null): SQL {
  if (!t) return sql`0`;
  const parts: SQL[] = [];
  if (t.koreanPhrase) parts.push(sql`ts_rank(d.bigrams, to_tsquery('simple', ${t.koreanPhrase}))`);
  if (t.latin) parts.push(sql`ts_rank(d.words, plainto_tsquery('english', ${t.latin}))`);
  if (t.fuzzy) parts.push(sql`word_similarity(${t.folded}, d.title_folded)`);
  return parts.length ? sql.join(parts, sql` + `) : sql`0`;
}

/**
 * One boolean per filter group over the document's copies of the course columns, so facets can
 * leave their own group out. A category means itself and its subcategories, resolved through the
 * small categories table (the parent is not copied into documents, so re-parenting stays correct).
 */
function filterConditions(f: SearchFilters) {
  const category = f.category
    ? sql`d.category_id in (
        select id from categories where slug = ${f.category}
        union all
        select child.id from categories child join categories parent on parent.id = child.parent_id
        where parent.slug = ${f.category})`
    : TRUE;
  const level = f.level ? sql`d.level = ${f.level}` : TRUE;
  const language = f.language ? sql`d.language = ${f.language}` : TRUE;
  const price: SQL[] = [];
  if (f.free) price.push(sql`d.price_amount = 0`);
  if (f.currency) price.push(sql`d.currency = ${f.currency}`);
  if (f.priceMin !== undefined) price.push(sql`d.price_amount >= ${f.priceMin}`);
  if (f.priceMax !== undefined) price.push(sql`d.price_amount <= ${f.priceMax}`);
  const rating = f.minRating !== undefined ? sql`d.rating_average >= ${f.minRating}` : TRUE;
  return { category, level, language, price: price.length ? sql.join(price, sql` and `) : TRUE, rating };
}

/** Orders over the columns of the match set (`matchSet`); `id` last so pages never overlap. */
const POPULAR = sql`enrollment_count desc, view_count desc, rating_average desc`;

function orderBy(sort: SearchSort, hasText: boolean): SQL {
  switch (sort) {
    case 'relevance':
      // Ranks are floats; rounding to two decimals lets rating and popularity decide between equally
      // relevant courses. Rounded in float8, not numeric: a float-to-numeric cast formats the number
      // as text first, which cost about a tenth of a broad search (every match is ranked).
      return hasText
        ? sql`floor(rank::float8 * 100 + 0.5) desc, rating_average desc, ${POPULAR}, id`
        : sql`${POPULAR}, id`;
    case 'popular':
      return sql`${POPULAR}, id`;
    case 'rating':
      return sql`rating_average desc, rating_count desc, enrollment_count desc, id`;
    case 'newest':
      return sql`published_at desc nulls last, id`;
    case 'price_asc':
      return sql`price_amount asc nulls last, ${POPULAR}, id`;
    case 'price_desc':
      return sql`price_amount desc nulls last, ${POPULAR}, id`;
  }
}

/**
 * The published documents matching the text (all of them without text), with the filter and sort
 * columns and one boolean per filter group, read from `course_search_documents` alone: no join,
 * one heap row per match. The rank is computed only when it orders the page, and only for the
 * matches that pass every filter (the others can never be on the page).
 */
function matchSet(text: TextMatch | null, filters: SearchFilters, sort: SearchSort): SQL {
  const f = filterConditions(filters);
  const rank =
    sort === 'relevance' && text
      ? sql`case when (${f.category}) and (${f.level}) and (${f.language}) and (${f.price}) and (${f.rating})
          then ${relevance(text)} else 0 end`
      : sql`0`;
  return sql`
    select d.course_id as id, d.category_id, d.level, d.language, d.price_amount, d.rating_average, d.rating_count,
      d.enrollment_count, d.view_count, d.published_at, ${rank} as rank,
      (${f.category}) as fc, (${f.level}) as fl, (${f.language}) as fg, (${f.price}) as fp, (${f.rating}) as fr
    from course_search_documents d
    where d.status = 'published' and ${textCondition(text)}`;
}

/**
 * Without query text every published document matches, so counting always stops at the cap: only
 * the columns the counts need are read, and `course_search_facets_idx` covers them, so the counted
 * documents come from an index-only scan instead of ~1 KB heap rows. The index is ordered by the
 * (random) course id, so the counted ones stay an unbiased sample, like the table order they
 * replace; an index led by a facet column would count whole categories or none.
 */
function browseCountSet(filters: SearchFilters): SQL {
  const f = filterConditions(filters);
  return sql`
    select d.category_id, d.level, d.language, d.price_amount, d.rating_average,
      (${f.category}) as fc, (${f.level}) as fl, (${f.language}) as fg, (${f.price}) as fp, (${f.rating}) as fr
    from course_search_documents d
    where d.status = 'published'`;
}

function pageIds(from: SQL, sort: SearchSort, hasText: boolean, paging: { limit: number; offset: number }): SQL {
  return sql`(select json_agg(id) from (
      select id from ${from} where fc and fl and fg and fp and fr
      order by ${orderBy(sort, hasText)}
      limit ${paging.limit} offset ${paging.offset}) p)`;
}

/** Escapes LIKE wildcards so what a person typed is matched literally. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Matches counted exactly; a broader query reports "10,000+" (see `search()`). */
export const SEARCH_COUNT_CAP = 10_000;

/**
 * Search's reads. Every query requires `status = 'published'` even though only published courses
 * have documents (the document's copy of the status, and the course's own for the cards): a
 * document left behind by a bug must still never show a draft.
 */
export class SearchRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
    /** Tests lower it to exercise the cap on a small catalog. */
    private readonly countCap = SEARCH_COUNT_CAP,
  ) {}

  /** Runs `work` in one transaction on the primary (a reindex batch is all or nothing). */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx as unknown as Db));
  }

  /**
   * Total, facet counts and the ids of one page, in one statement over one materialised match
   * set, so the text match happens once. Each facet counts the matches of the query and of every
   * filter except its own group (the usual faceting rule), so choosing `level=beginner` still
   * shows how many intermediate courses there are to switch to; all facets and the total come
   * from one grouping pass over the counted matches.
   *
   * Counting stops at `countCap` matches: a query matching more (a very broad word, or no word
   * at all on a large catalog) reports the total and facet counts of the first `countCap` as
   * lower bounds. The page is still computed over every match, so the courses shown and their order
   * are always exact: with text every match is read anyway (the page needs every match's sort key
   * or rank) and the cap saves the counting of the rest; without text the page comes from the
   * front of a sort-key index and the counting reads only the facet columns of the counted
   * documents, from a covering index (see `browseCountSet`).
   */
  async search(
    text: TextMatch | null,
    filters: SearchFilters,
    sort: SearchSort,
    paging: { limit: number; offset: number },
  ): Promise<SearchPage> {
    const hasText = text !== null;
    const [row] = rowsOf<{
      text_matches: number;
      total: number;
      ids: string[] | null;
      category: FacetCounts['category'] | null;
      level: FacetCounts['level'] | null;
      language: FacetCounts['language'] | null;
      price: FacetCounts['price'] | null;
      rating: FacetCounts['rating'] | null;
    }>(
      await this.db.execute(sql`
        ${
          // With query text the matches are read once into m and both counted (up to the cap) and
          // sorted from there. Without text every published course matches: only the counted ones
          // are kept (narrow rows, see browseCountSet), and the page is read separately, from the
          // front of the sort key's index (schema.ts) when there is one, stopping after the page.
          hasText
            ? sql`with m as materialized (${matchSet(text, filters, sort)}),
                counted as (select * from m limit ${this.countCap + 1}),`
            : sql`with counted as materialized (${browseCountSet(filters)} limit ${this.countCap + 1}),`
        }
        -- One group per (category, level, language), with the counts the facets need inside each:
        -- fc, fl and fg depend on those three columns alone, so they are constant within a group,
        -- and each facet below sums the few groups that pass the other groups' filters. One hash
        -- lookup and eight counters per match, where the grouping sets before this cost three and
        -- forty-four (a fifth of a broad search's time).
        g as (
          select category_id, level, language, fc, fl, fg,
            count(*) as n_all,
            count(*) filter (where fp and fr) as n_pr,
            count(*) filter (where fr and price_amount = 0) as n_free,
            count(*) filter (where fr and price_amount > 0) as n_paid,
            count(*) filter (where fp and rating_average >= 4) as n_r4,
            count(*) filter (where fp and rating_average >= 3) as n_r3,
            count(*) filter (where fp and rating_average >= 2) as n_r2,
            count(*) filter (where fp and rating_average >= 1) as n_r1
          from counted
          group by category_id, level, language, fc, fl, fg
        ),
        by_category as (
          select category_id, sum(n_pr)::int as n from g where fl and fg group by category_id having sum(n_pr) > 0
        ),
        everything as (
          select coalesce(sum(n_pr), 0)::int as total, coalesce(sum(n_free), 0)::int as free,
            coalesce(sum(n_paid), 0)::int as paid, coalesce(sum(n_r4), 0)::int as r4,
            coalesce(sum(n_r3), 0)::int as r3, coalesce(sum(n_r2), 0)::int as r2, coalesce(sum(n_r1), 0)::int as r1
          from g where fc and fl and fg
        )
        select
          (select coalesce(sum(n_all), 0)::int from g) as text_matches,
          (select total from everything) as total,
          ${pageIds(hasText ? sql`m` : sql`(${matchSet(text, filters, sort)}) m`, sort, hasText, paging)} as ids,
          (select json_agg(json_build_object('slug', slug, 'count', n) order by n desc, slug)
             from (select slug, sum(n)::int as n from (
                     -- Credit each category's count to the category and to its parent, so a top
                     -- category includes its subcategories.
                     select cat.slug, c.n from by_category c join categories cat on cat.id = c.category_id
                     union all
                     select parent.slug, c.n from by_category c join categories cat on cat.id = c.category_id
                       join categories parent on parent.id = cat.parent_id) s
                   group by slug) x) as category,
          (select json_agg(json_build_object('value', level, 'count', n) order by level)
             from (select level, sum(n_pr)::int as n from g where fc and fg group by level having sum(n_pr) > 0) x)
            as level,
          (select json_agg(json_build_object('value', language, 'count', n) order by language)
             from (select language, sum(n_pr)::int as n from g where fc and fl group by language having sum(n_pr) > 0) x)
            as language,
          (select json_build_object('free', free, 'paid', paid) from everything) as price,
          (select json_build_array(
              json_build_object('min', 4, 'count', r4), json_build_object('min', 3, 'count', r3),
              json_build_object('min', 2, 'count', r2), json_build_object('min', 1, 'count', r1))
             from everything) as rating
      `),
    );
    const capped = row!.text_matches > this.countCap;
    const zeroRating: FacetCounts['rating'] = [4, 3, 2, 1].map((min) => ({ min: min as 4 | 3 | 2 | 1, count: 0 }));
    return {
      textMatches: row!.text_matches,
      total: Math.min(row!.total, this.countCap),
      totalIsLowerBound: capped,
      ids: row!.ids ?? [],
      facets: {
        category: row!.category ?? [],
        level: row!.level ?? [],
        language: row!.language ?? [],
        price: row!.price ?? { free: 0, paid: 0 },
        rating: row!.rating ?? zeroRating,
      },
    };
  }

  /** Card rows (the catalog's shape) of the given published courses, in the given order. */
  async cards(ids: readonly string[]): Promise<CardRow[]> {
    if (ids.length === 0) return [];
    const rows: CardRow[] = await this.db
      .select(cardColumns)
      .from(courses)
      .innerJoin(users, eq(users.id, courses.instructorId))
      .leftJoin(categories, eq(categories.id, courses.categoryId))
      .where(and(inArray(courses.id, [...ids]), eq(courses.status, 'published')));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * Autocomplete over titles: Korean through title bigrams (weight A), Latin words as prefixes,
   * and, from three characters on, substrings through the trigram index, plus typos (`<%`) when
   * `fuzzy`. Titles that start with what was typed come first.
   */
  async suggest(
    korean: string | null,
    latinPrefix: string | null,
    folded: string,
    opts: { fuzzy: boolean; limit: number },
  ): Promise<SuggestRow[]> {
    const any: SQL[] = [];
    if (korean) any.push(sql`d.bigrams @@ to_tsquery('simple', ${korean})`);
    if (latinPrefix) any.push(sql`d.words @@ to_tsquery('english', ${latinPrefix})`);
    if (Array.from(folded).length >= 3) {
      any.push(sql`d.title_folded like ${likeContains(folded)}`);
      if (opts.fuzzy) any.push(sql`${folded} <% d.title_folded`);
    }
    if (any.length === 0) return [];
    // Candidates are chosen and ordered on the documents alone (popularity is copied there); only
    // the few winners are joined to courses for their slug and title.
    return rowsOf<SuggestRow>(
      await this.db.execute(sql`
        select c.slug, c.title
        from (
          select d.course_id,
            (d.title_folded like ${`${folded.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`}) as starts,
            ${
              // Similarity costs a trigram extraction per candidate: only worth it when ranking typos.
              opts.fuzzy ? sql`word_similarity(${folded}, d.title_folded)` : sql`0`
            } as similarity,
            d.enrollment_count
          from course_search_documents d
          where d.status = 'published' and (${sql.join(any, sql` or `)})
          order by starts desc, similarity desc, d.enrollment_count desc, d.course_id
          limit ${opts.limit}
        ) w
        join courses c on c.id = w.course_id
        where c.status = 'published'
        order by w.starts desc, w.similarity desc, w.enrollment_count desc, w.course_id
      `),
    );
  }

  /** Ids of every course, in id order from `after`, for reindexing in batches. */
  async courseIdsAfter(after: string | null, limit: number): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await this.primary.execute(
        after
          ? sql`select id from courses where id > ${after} order by id limit ${limit}`
          : sql`select id from courses order by id limit ${limit}`,
      ),
    );
    return rows.map((r) => r.id);
  }

  async countCourses(): Promise<number> {
    const [row] = rowsOf<{ n: number }>(await this.primary.execute(sql`select count(*)::int as n from courses`));
    return row?.n ?? 0;
  }
}

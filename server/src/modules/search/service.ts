import { createHash } from 'node:crypto';
import { AppError } from '../app-error.js';
import { analyzeQuery, fold, koreanTsQuery, latinPrefixTsQuery } from './analyzer.js';
import type { SearchDocumentIndexer } from './document.js';
import { toCourseCard } from '../catalog/views.js';
import type { SearchFilters, SearchRepository, TextMatch } from './repository.js';
import type { SearchQuery, SearchResult, SuggestResult } from './schemas.js';

/** Below this many full-text matches the query is retried with trigram similarity (typos). */
const FUZZY_BELOW = 3;
/** Trigrams need three characters to say anything useful. */
const FUZZY_MIN_LENGTH = 3;
const SUGGEST_LIMIT = 8;
const REINDEX_BATCH = 500;

export interface ReindexProgress {
  done: number;
  total: number;
  indexed: number;
}

/**
 * Where answers are kept for a short while (the catalog's cache: its list generation changes with
 * every course edit, enrolment and review, so a kept answer never outlives what it shows by more
 * than the moment the change takes to commit). `key` is the whole validated query.
 */
export interface SearchAnswerCache {
  searchAnswer<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export class SearchService {
  constructor(
    private readonly repository: SearchRepository,
    private readonly indexer: SearchDocumentIndexer,
    /** Where cover URLs point (the public URL of the media route), as for the catalog's cards. */
    private readonly options: { mediaBaseUrl: string },
    /** Without one, every call reads PostgreSQL (the search benchmark measures that path). */
    private readonly answers?: SearchAnswerCache,
  ) {}

  /**
   * A search costs two or three statements over the search documents (10–90 ms on 100,000
   * courses); the popular queries repeat many times a minute, so their answers are kept.
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    if (!this.answers) return this.searchUncached(query);
    return this.answers.searchAnswer(`search:${answerKey(query)}`, () => this.searchUncached(query));
  }

  async suggest(q: string): Promise<SuggestResult> {
    if (!this.answers) return this.suggestUncached(q);
    return this.answers.searchAnswer(`suggest:${answerKey({ q })}`, () => this.suggestUncached(q));
  }

  private async searchUncached(query: SearchQuery): Promise<SearchResult> {
    const filters = this.filtersOf(query);
    const text = this.textOf(query.q);
    const paging = { limit: query.pageSize, offset: (query.page - 1) * query.pageSize };
    let found = await this.repository.search(text, filters, query.sort, paging);
    // Full text finds whole words; when it finds (almost) nothing, the query is probably misspelt
    // (`javascrpt`), so titles that look like it are accepted too, ranked below real matches.
    if (text && found.textMatches < FUZZY_BELOW && Array.from(text.folded).length >= FUZZY_MIN_LENGTH) {
      text.fuzzy = true;
      found = await this.repository.search(text, filters, query.sort, paging);
    }
    const rows = await this.repository.cards(found.ids);
    return {
      items: rows.map((r) => toCourseCard(r, this.options.mediaBaseUrl)),
      total: found.total,
      totalIsLowerBound: found.totalIsLowerBound,
      page: query.page,
      pageSize: query.pageSize,
      facets: found.facets,
    };
  }

  private async suggestUncached(q: string): Promise<SuggestResult> {
    const analyzed = analyzeQuery(q);
    if (!analyzed.folded) return { items: [] };
    const korean = koreanTsQuery(analyzed.korean, { weight: 'A' });
    const latin = latinPrefixTsQuery(analyzed.latin);
    const exact = await this.repository.suggest(korean, latin, analyzed.folded, { fuzzy: false, limit: SUGGEST_LIMIT });
    // Like search: look-alike titles only when what was typed matches no title as written.
    if (exact.length > 0 || Array.from(analyzed.folded).length < FUZZY_MIN_LENGTH) return { items: exact };
    const items = await this.repository.suggest(korean, latin, analyzed.folded, { fuzzy: true, limit: SUGGEST_LIMIT });
    return { items };
  }

  /**
   * Rebuilds every course's document (or removes it when the course is not published), in
   * batches of one transaction each, so a reindex of a large catalog never holds one long
   * transaction and a live site keeps answering meanwhile.
   */
  async reindex(
    onProgress: (p: ReindexProgress) => void = () => {},
    batchSize = REINDEX_BATCH,
  ): Promise<ReindexProgress> {
    const total = await this.repository.countCourses();
    const progress: ReindexProgress = { done: 0, total, indexed: 0 };
    let after: string | null = null;
    for (;;) {
      const ids = await this.repository.courseIdsAfter(after, batchSize);
      if (ids.length === 0) break;
      progress.indexed += await this.repository.transaction((tx) => this.indexer.syncCourses(tx, ids));
      progress.done += ids.length;
      after = ids[ids.length - 1]!;
      onProgress({ ...progress });
    }
    return progress;
  }

  private filtersOf(query: SearchQuery): SearchFilters {
    const { priceMin, priceMax, currency } = query;
    // Amounts are minor units of one currency; a range without it would compare won with cents.
    if ((priceMin !== undefined || priceMax !== undefined) && !currency) {
      throw new AppError(400, 'currency_required', 'Give currency (KRW or USD) with priceMin or priceMax.');
    }
    if (priceMin !== undefined && priceMax !== undefined && priceMin > priceMax) {
      throw new AppError(400, 'invalid_price_range', 'priceMin must not be above priceMax.');
    }
    return {
      category: query.category,
      level: query.level,
      language: query.language,
      currency,
      priceMin,
      priceMax,
      minRating: query.minRating,
      free: query.free === true ? true : undefined,
    };
  }

  private textOf(q: string): TextMatch | null {
    if (!fold(q)) return null;
    const analyzed = analyzeQuery(q);
    return {
      korean: koreanTsQuery(analyzed.korean, { phrase: false }),
      koreanPhrase: koreanTsQuery(analyzed.korean),
      latin: analyzed.latin,
      folded: analyzed.folded,
      fuzzy: false,
    };
  }
}

/** A short fixed-length key for a query (the text may be long and in any script); keys sorted. */
function answerKey(query: object): string {
  const sorted = Object.fromEntries(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 22);
}

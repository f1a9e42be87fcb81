import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainSearches, generateCourses, measure, searchService, workloads } from '../../bench/search.js';
import { rowsOf } from '../src/platform/db/rows.js';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';

/**
 * The search benchmark's smoke run: the same generator, workloads and plan checks as
 * `npm run bench -- search`, on 3,000 courses, so CI notices when a change makes a search
 * statement unable to use the GIN or trigram indexes (the full run's numbers live in
 * docs/benchmarks.md).
 */
describe('search benchmark smoke run [postgres]', () => {
  let database: TestDatabase;
  let sampleIds: string[];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const generated = await generateCourses(database.port.primary, 3_000);
    expect(generated.published).toBeGreaterThan(2_700);
    sampleIds = rowsOf<{ id: string }>(await database.port.primary.execute(sql`select id from courses limit 100`)).map(
      (r) => r.id,
    );
  }, 120_000);
  afterAll(async () => {
    await database?.dispose();
  });

  it('every search statement can use the search indexes, never a sequential scan of the documents', async () => {
    const checks = await explainSearches(database.port.primary, workloads(sampleIds), { discourageSeqScan: true });
    expect(checks.length).toBeGreaterThan(20);
    const bad = checks.filter((c) => c.seqScanOnDocuments || !c.usesSearchIndex);
    expect(bad.map((c) => `${c.workload} ${c.query} #${c.statement}\n${c.plan}`)).toEqual([]);
    // Korean goes through the bigram index, English through the word index, typos through trigrams.
    const used = (workload: string) => new Set(checks.filter((c) => c.workload === workload).flatMap((c) => c.indexes));
    expect(used('korean_particle')).toContain('course_search_bigrams_idx');
    expect(used('english_stemmed')).toContain('course_search_words_idx');
    expect(used('typo')).toContain('course_search_title_trgm_idx');
    // Browsing without text counts from the covering index and reads its page from a sort index.
    expect(used('browse')).toEqual(
      new Set([
        'course_search_facets_idx',
        'course_search_popular_idx',
        'course_search_newest_idx',
        'course_search_rating_idx',
      ]),
    );
  });

  it('the generated catalog answers every workload, and the typical searches find courses', async () => {
    const service = searchService(database.port.primary);
    for (const workload of workloads(sampleIds)) {
      const m = await measure(workload, service, database.port.primary, {
        durationMs: 200,
        connections: 2,
        warmupCalls: 1,
      });
      expect(m.calls, workload.name).toBeGreaterThan(0);
    }
    const particle = await service.search({ q: '파이썬을', sort: 'relevance', page: 1, pageSize: 20 });
    expect(particle.total).toBeGreaterThan(0);
    expect(
      particle.items.every((i) => `${i.title} ${i.subtitle}`.includes('파이썬') || i.tags.includes('파이썬')),
    ).toBe(true);
    const typo = await service.search({ q: 'javascrpt', sort: 'relevance', page: 1, pageSize: 20 });
    expect(typo.items[0]?.title.toLowerCase()).toContain('javascript');
  });
});

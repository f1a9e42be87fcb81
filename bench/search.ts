/**
 * The search benchmark: fills a database with realistic courses, then times the search service's
 * typical queries and checks with EXPLAIN (ANALYZE) that they use the GIN and trigram indexes.
 * Used by `npm run bench -- search` (bench/run.ts) and by the CI smoke run
 * (server/test/search-bench.test.ts), so the smoke run exercises exactly the code measured here.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../server/src/platform/db/port.js';
import { rowsOf } from '../server/src/platform/db/rows.js';
import { SearchDocumentIndexer } from '../server/src/modules/search/document.js';
import { SearchRepository } from '../server/src/modules/search/repository.js';
import type { SearchQuery } from '../server/src/modules/search/schemas.js';
import { SearchService } from '../server/src/modules/search/service.js';

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

/** [slug, Korean name, English name, Korean topics, English topics] of each top category. */
const CATEGORIES: [string, string, string, string[], string[]][] = [
  [
    'programming',
    '프로그래밍',
    'Programming',
    ['파이썬', '자바스크립트', '자바', '리액트', '스프링', '타입스크립트', '알고리즘', '코틀린'],
    ['Python', 'JavaScript', 'Java', 'React', 'Spring Boot', 'TypeScript', 'Algorithms', 'Kotlin'],
  ],
  [
    'data',
    '데이터 과학',
    'Data science',
    ['데이터분석', '머신러닝', '딥러닝', '통계학', 'SQL', '판다스', '데이터시각화'],
    ['Data Analysis', 'Machine Learning', 'Deep Learning', 'Statistics', 'SQL', 'Pandas', 'Data Visualization'],
  ],
  [
    'design',
    '디자인',
    'Design',
    ['포토샵', '일러스트레이터', '피그마', 'UX디자인', '브랜딩', '타이포그래피'],
    ['Photoshop', 'Illustrator', 'Figma', 'UX Design', 'Branding', 'Typography'],
  ],
  [
    'business',
    '비즈니스',
    'Business',
    ['마케팅', '엑셀', '회계', '창업', '프로젝트관리', '주식투자'],
    ['Marketing', 'Excel', 'Accounting', 'Startups', 'Project Management', 'Investing'],
  ],
  [
    'infra',
    '인프라',
    'Infrastructure',
    ['도커', '쿠버네티스', '클라우드', '리눅스', '네트워크', '보안'],
    ['Docker', 'Kubernetes', 'Cloud', 'Linux', 'Networking', 'Security'],
  ],
  [
    'language',
    '외국어',
    'Languages',
    ['영어회화', '일본어', '중국어', '토익', '비즈니스영어'],
    ['English Conversation', 'Japanese', 'Chinese', 'TOEIC', 'Business English'],
  ],
  [
    'creative',
    '크리에이티브',
    'Creative',
    ['영상편집', '드로잉', '작곡', '사진', '유튜브'],
    ['Video Editing', 'Drawing', 'Music Composition', 'Photography', 'YouTube'],
  ],
  [
    'life',
    '라이프스타일',
    'Lifestyle',
    ['요리', '요가', '홈트레이닝', '글쓰기', '인테리어'],
    ['Cooking', 'Yoga', 'Home Workouts', 'Writing', 'Interior Design'],
  ],
];
const KO_PREFIXES = [
  '입문자를 위한',
  '실무에 바로 쓰는',
  '왕초보도 할 수 있는',
  '한 번에 끝내는',
  '처음 배우는',
  '현업 전문가의',
  '30일 완성',
  '핵심만 골라 배우는',
  '프로젝트로 배우는',
  '누구나 쉽게 배우는',
];
const KO_SUFFIXES = [
  '입문',
  '실전',
  '마스터클래스',
  '기초부터 심화까지',
  '완벽 가이드',
  '부트캠프',
  '첫걸음',
  '심화 과정',
  '실무 프로젝트',
  '핵심 정리',
];
const EN_PREFIXES = [
  'The Complete',
  'Practical',
  "Beginner's",
  'Mastering',
  'Hands-on',
  'Modern',
  'Essential',
  'Advanced',
  'Learn',
  'Applied',
];
const EN_SUFFIXES = [
  'Bootcamp',
  'for Beginners',
  'Masterclass',
  'in 30 Days',
  'from Zero to Hero',
  'Crash Course',
  'by Building Projects',
  'for Professionals',
  'Fundamentals',
  'Deep Dive',
];
const KO_SENTENCES = [
  '핵심 개념을 예제와 함께 차근차근 배웁니다.',
  '실무에서 자주 쓰는 기법을 프로젝트로 익힙니다.',
  '강의를 마치면 포트폴리오를 완성할 수 있습니다.',
  '비전공자도 따라올 수 있도록 기초부터 설명합니다.',
  '현업에서 겪은 문제와 해결 방법을 공유합니다.',
  '매 강의마다 실습 과제와 해설이 제공됩니다.',
];
const EN_SENTENCES = [
  'You will learn the core concepts step by step with examples.',
  'Build real projects that you can add to your portfolio.',
  'No prior experience is needed; we start from the basics.',
  'Practical techniques used by professionals every day.',
  'Each lesson ends with exercises and worked solutions.',
  'Understand the ideas behind the tools, not just the commands.',
];

/** A constant text[] literal (the values are this file's own constants, quoted for SQL). */
const sqlText = (values: string[]) =>
  sql.raw(`(array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]::text[])`);

export interface GenerateResult {
  courses: number;
  published: number;
  insertMs: number;
  indexMs: number;
}

/**
 * Inserts `count` courses with bulk SQL (generate_series, seeded random), then builds their
 * search documents through the real indexer (`SearchService.reindex`), as `lectio reindex` would.
 * About 70% Korean titles, 30% English; 5% drafts; 10% free; prices, ratings and enrolment
 * counts skewed like a real catalog (a few very popular courses, many small ones).
 */
export async function generateCourses(
  db: Db,
  count: number,
  log: (line: string) => void = () => {},
): Promise<GenerateResult> {
  const started = Date.now();
  await db.execute(sql`select setseed(0.42)`);
  await db.execute(sql`
    insert into users (email, password_hash, display_name, role, email_verified_at)
    select 'bench-instructor-' || i || '@example.com', 'x',
      (array['김','이','박','최','정','강','조','윤','장','임'])[1 + i % 10] || (array['민준','서연','도윤','하은','지호','수아','예준','지우'])[1 + i % 8] || ' ' || i,
      'instructor', now()
    from generate_series(1, greatest(10, ${Math.ceil(count / 50)})) as i
  `);
  // Top categories and four subcategories each; subcategory i of a top covers topics i, i+4, ...
  for (const [position, [slug, ko, en]] of CATEGORIES.entries()) {
    await db.execute(sql`
      with top as (
        insert into categories (slug, name_ko, name_en, position) values (${slug}, ${ko}, ${en}, ${position}) returning id
      )
      insert into categories (slug, name_ko, name_en, position, parent_id)
      select ${slug} || '-' || s, ${ko} || ' ' || s, ${en} || ' ' || s, s, top.id from top, generate_series(1, 4) as s
    `);
  }
  const koTopics = CATEGORIES.flatMap(([, , , ko], c) => ko.map((t) => ({ t, c })));
  const enTopics = CATEGORIES.flatMap(([, , , , en], c) => en.map((t) => ({ t, c })));
  await db.execute(sql`
    insert into courses (instructor_id, category_id, slug, title, subtitle, description, level, language,
      price_amount, currency, tags, status, rating_average, rating_count, enrollment_count, view_count, published_at, created_at)
    select
      ins.ids[1 + g.i % array_length(ins.ids, 1)],
      (select id from categories where slug = (${sqlText(CATEGORIES.map(([s]) => s))})[1 + g.cat] || '-' || (1 + g.i % 4)),
      'bench-' || g.i,
      case when g.ko
        then ${sqlText(KO_PREFIXES)}[1 + g.p] || ' ' || g.topic || ' ' || ${sqlText(KO_SUFFIXES)}[1 + g.s]
        else ${sqlText(EN_PREFIXES)}[1 + g.p] || ' ' || g.topic || ' ' || ${sqlText(EN_SUFFIXES)}[1 + g.s]
      end || case when g.i % 7 = 0 then ' ' || (2 + g.i % 5) || (case when g.ko then '판' else 'nd Edition' end) else '' end,
      case when g.ko then g.topic || ' 실력을 한 단계 올리는 강의' else 'Level up your ' || g.topic || ' skills' end,
      case when g.ko
        then g.topic || '의 ' || ${sqlText(KO_SENTENCES)}[1 + g.i % 6] || ' ' || g.other || '와 함께 ' || ${sqlText(KO_SENTENCES)}[1 + (g.i / 6) % 6]
        else g.topic || ': ' || ${sqlText(EN_SENTENCES)}[1 + g.i % 6] || ' Also covers ' || g.other || '. ' || ${sqlText(EN_SENTENCES)}[1 + (g.i / 6) % 6]
      end,
      (array['beginner','intermediate','advanced','all'])[1 + g.i % 4]::course_level,
      (case when g.ko then 'ko' else 'en' end)::course_language,
      case when g.r1 < 0.1 then 0 when g.ko then 11000 + 1000 * floor(g.r2 * 189)::int else 999 + 100 * floor(g.r2 * 190)::int end,
      (case when g.ko then 'KRW' else 'USD' end)::currency,
      array[lower(g.topic)],
      (case when g.r3 < 0.05 then 'draft' else 'published' end)::course_status,
      case when g.r4 < 0.15 then 0 else round((3 + 2 * sqrt(g.r5))::numeric, 2) end,
      case when g.r4 < 0.15 then 0 else 1 + floor(exp(g.r6 * 6))::int end,
      floor(exp(g.r6 * 9))::int,
      floor(exp(g.r6 * 9) * (5 + 20 * g.r2))::bigint,
      case when g.r3 < 0.05 then null else now() - (g.r5 * interval '1000 days') end,
      now() - interval '1001 days'
    from (select array_agg(id) as ids from users where email like 'bench-instructor-%') ins, (
      select i, ko, cat, p, s, topic, other, r1, r2, r3, r4, r5, r6
      from (
        select i, random() < 0.7 as ko, random() as r1, random() as r2, random() as r3, random() as r4,
          random() as r5, random() as r6, floor(random() * 10)::int as p, floor(random() * 10)::int as s,
          floor(random() * ${koTopics.length})::int as kt, floor(random() * ${enTopics.length})::int as et,
          floor(random() * ${koTopics.length})::int as ot
        from generate_series(1, ${count}) as i
      ) r
      cross join lateral (
        select
          case when r.ko then (${sqlText(koTopics.map((x) => x.t))})[1 + r.kt] else (${sqlText(enTopics.map((x) => x.t))})[1 + r.et] end as topic,
          case when r.ko then (${sqlText(koTopics.map((x) => x.t))})[1 + r.ot] else (${sqlText(enTopics.map((x) => x.t))})[1 + (r.ot % ${enTopics.length})] end as other,
          case when r.ko then (${sqlText(koTopics.map((x) => String(x.c)))})[1 + r.kt]::int else (${sqlText(enTopics.map((x) => String(x.c)))})[1 + r.et]::int end as cat
      ) t
    ) g
  `);
  const insertMs = Date.now() - started;
  log(`inserted ${count} courses in ${(insertMs / 1000).toFixed(1)} s; building search documents...`);
  const indexStarted = Date.now();
  const service = searchService(db);
  let lastLog = 0;
  const result = await service.reindex((p) => {
    if (Date.now() - lastLog > 5_000 || p.done === p.total) {
      lastLog = Date.now();
      log(`  reindex ${p.done}/${p.total}`);
    }
  }, 1_000);
  // What autovacuum would have done by the time a real catalog of this size is searched.
  await db.execute(sql`vacuum analyze`);
  return { courses: count, published: result.indexed, insertMs, indexMs: Date.now() - indexStarted };
}

export function searchService(db: Db): SearchService {
  return new SearchService(new SearchRepository(db, db), new SearchDocumentIndexer(), {
    mediaBaseUrl: 'http://bench.local',
  });
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

const base: SearchQuery = { q: '', sort: 'relevance', page: 1, pageSize: 20 };

export interface Workload {
  name: string;
  description: string;
  /** Runs one call of variant `i`. */
  run(service: SearchService, db: Db, i: number): Promise<unknown>;
  /** The queries whose plans must use the search indexes (none for the baseline). */
  searchVariants?: SearchQuery[];
}

function searchWorkload(name: string, description: string, variants: Partial<SearchQuery>[]): Workload {
  const queries = variants.map((v) => ({ ...base, ...v }));
  return {
    name,
    description,
    searchVariants: queries,
    run: (service, _db, i) => service.search(queries[i % queries.length]!),
  };
}

export function workloads(sampleIds: string[]): Workload[] {
  const suggestions = ['파이', '데이터분', 'java', 'mach', '엑셀'];
  return [
    {
      name: 'baseline_pk',
      description: 'primary-key lookup of one course (the baseline)',
      run: (_service, db, i) => db.execute(sql`select * from courses where id = ${sampleIds[i % sampleIds.length]!}`),
    },
    searchWorkload('korean_word', '파이썬, 머신러닝, 리액트, 엑셀, 요가', [
      { q: '파이썬' },
      { q: '머신러닝' },
      { q: '리액트' },
      { q: '엑셀' },
      { q: '요가' },
    ]),
    searchWorkload('korean_particle', '파이썬을, 데이터분석으로, 머신러닝에서, 리액트를, 엑셀로', [
      { q: '파이썬을' },
      { q: '데이터분석으로' },
      { q: '머신러닝에서' },
      { q: '리액트를' },
      { q: '엑셀로' },
    ]),
    searchWorkload('english_stemmed', 'investing, cooking, photographs, kubernetes, typescripts', [
      { q: 'investing' },
      { q: 'cooking' },
      { q: 'photographs' },
      { q: 'kubernetes' },
      { q: 'typescripts' },
    ]),
    // Words in a category name or in many descriptions match 12–16% of the catalog, more than the
    // 10,000 counted exactly: counting stops at the cap, but every match is still read and ranked
    // for the page, so these are the slowest text searches there are.
    searchWorkload('broad_term', '데이터, learning, design (12–16% of all courses each)', [
      { q: '데이터' },
      { q: 'learning' },
      { q: 'design' },
    ]),
    searchWorkload('typo', 'javascrpt, pyhton, machne lerning, photshop, kubernets', [
      { q: 'javascrpt' },
      { q: 'pyhton' },
      { q: 'machne lerning' },
      { q: 'photshop' },
      { q: 'kubernets' },
    ]),
    searchWorkload('filters_sort', 'query + category/level/rating/price/free filters + non-relevance sort', [
      { q: '파이썬', level: 'beginner', minRating: 4, sort: 'rating' },
      { q: 'learning', language: 'en', currency: 'USD', priceMax: 5000, sort: 'price_asc' },
      { q: '머신러닝', category: 'data', free: true, sort: 'popular' },
      { q: '마케팅을', minRating: 3, sort: 'newest', page: 2 },
    ]),
    // No query text: every published course matches, so counting stops at the cap (read from the
    // narrow covering index) and the page is read from the front of the sort key's index.
    searchWorkload(
      'browse',
      'no q: category=data, level=beginner&sort=newest, free=true&sort=rating (counting capped)',
      [{ category: 'data' }, { level: 'beginner', sort: 'newest' }, { free: true, sort: 'rating' }],
    ),
    {
      name: 'suggest',
      description: suggestions.join(', '),
      run: (service, _db, i) => service.suggest(suggestions[i % suggestions.length]!),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

export interface Measurement {
  name: string;
  description: string;
  calls: number;
  qps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs a workload with `connections` concurrent callers for `durationMs`, after a short warm-up. */
export async function measure(
  workload: Workload,
  service: SearchService,
  db: Db,
  opts: { durationMs: number; connections: number; warmupCalls?: number },
): Promise<Measurement> {
  for (let i = 0; i < (opts.warmupCalls ?? 10); i++) await workload.run(service, db, i);
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + opts.durationMs;
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await workload.run(service, db, next++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name: workload.name,
    description: workload.description,
    calls: latencies.length,
    qps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

export interface PlanCheck {
  workload: string;
  query: string;
  statement: number;
  usesSearchIndex: boolean;
  seqScanOnDocuments: boolean;
  indexes: string[];
  executionMs: number;
  plan: string;
}

const SEARCH_INDEXES = [
  'course_search_words_idx',
  'course_search_bigrams_idx',
  'course_search_title_trgm_idx',
  // Browsing (no query text): sort keys and the covering index the capped counts read.
  'course_search_popular_idx',
  'course_search_rating_idx',
  'course_search_newest_idx',
  'course_search_price_asc_idx',
  'course_search_price_desc_idx',
  'course_search_facets_idx',
];

/** A Db whose `execute` records every statement, so the bench can EXPLAIN exactly what the service ran. */
function recording(db: Db, into: SQL[]): Db {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'execute') {
        return (query: SQL) => {
          into.push(query);
          return target.execute(query);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/**
 * Runs each search variant once through a recording database, then EXPLAIN (ANALYZE)s every
 * statement it issued that reads course_search_documents.
 */
export async function explainSearches(
  db: Db,
  list: Workload[],
  opts: { discourageSeqScan?: boolean } = {},
): Promise<PlanCheck[]> {
  const checks: PlanCheck[] = [];
  for (const workload of list) {
    for (const query of workload.searchVariants ?? []) {
      const statements: SQL[] = [];
      await searchService(recording(db, statements)).search(query);
      for (const [n, statement] of statements.entries()) {
        const rows = await db.transaction(async (tx) => {
          // On a small table a sequential scan is genuinely cheaper, so the planner picks it; the
          // smoke run discourages it to check that the statements *can* use the indexes at all.
          if (opts.discourageSeqScan) await tx.execute(sql`set local enable_seqscan = off`);
          return rowsOf<Record<string, string>>(
            await tx.execute(sql`explain (analyze, costs off, timing off, summary on) ${statement}`),
          );
        });
        const plan = rows.map((r) => Object.values(r)[0]).join('\n');
        if (!plan.includes('course_search_documents')) continue;
        const indexes = SEARCH_INDEXES.filter((i) => plan.includes(i));
        checks.push({
          workload: workload.name,
          query: describeQuery(query),
          statement: n + 1,
          usesSearchIndex: indexes.length > 0,
          seqScanOnDocuments: /Seq Scan on course_search_documents/.test(plan),
          indexes,
          executionMs: Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1] ?? 'NaN'),
          plan,
        });
      }
    }
  }
  return checks;
}

export function describeQuery(q: SearchQuery): string {
  const parts = Object.entries(q)
    .filter(([k, v]) => v !== undefined && v !== '' && !(k in base && base[k as keyof SearchQuery] === v))
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.join('&') || '(no query)';
}

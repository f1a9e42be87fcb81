/**
 * The API benchmark's data, written with set-based SQL so 100,000 students and 1,000,000 progress
 * rows take seconds: the search benchmark's generated catalog (Korean and English titles, built
 * search documents), then per published course one ready video, 3 sections of 4 video lessons,
 * students sharing one Argon2 hash made by the app's own hasher, 3 enrollments per student,
 * progress on their first lessons, and pending orders for the webhook scenario.
 */
import { sql } from 'drizzle-orm';
import type { DatabasePort, Db } from '../../server/src/platform/db/port.js';
import { openPostgres } from '../../server/src/platform/db/postgres.js';
import { rowsOf } from '../../server/src/platform/db/rows.js';
import { hashPassword } from '../../server/src/modules/users/passwords.js';
import { generateCourses } from '../search.js';

export const BENCH_PASSWORD = 'bench-password-123';
export const LESSON_SECONDS = 3600;
const SECTIONS_PER_COURSE = 3;
const LESSONS_PER_SECTION = 4;
/** Each student is enrolled in this many courses (course index i·7 + k·1543, k < 3). */
const ENROLLMENTS_PER_STUDENT = 3;

export interface SeedSizes {
  courses: number;
  students: number;
  progressRows: number;
  pendingOrders: number;
}

export interface SeededData {
  sizes: SeedSizes;
  published: number;
  lessons: number;
  enrollments: number;
  progressRows: number;
  /** Ended sessions seeded as history (absent from runs before they were seeded). */
  playbackSessions?: number;
  pendingOrders: number;
  seconds: { catalog: number; hash: number; rest: number };
  /** Published course slugs, in a fixed shuffled order. */
  slugs: string[];
  /** Category slug → published courses in it and its subcategories (undefined key: all). */
  categoryCounts: { slug: string | null; courses: number }[];
  /** Student n's email is studentEmail(n); its first enrolled course's first lesson. */
  studentLesson(n: number): Promise<{ email: string; lessonId: string; courseId: string }>;
  orders: { id: string; sessionId: string; amount: number; currency: string }[];
}

/** One connection, waiting as long as it takes for it (the seed's statements are long). */
export function openSeedDatabase(url: string): DatabasePort {
  return openPostgres({ url, replicaUrls: [], poolMax: 1, connectionTimeoutMs: 0 });
}

export const studentEmail = (n: number) => `student-${n}@bench.example`;

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(await db.execute(query));
  return Number(row?.n ?? 0);
}

/**
 * `db` should be a pool of one connection (see openSeedDatabase): the bulk statements run for
 * longer than the app's 30 s statement timeout on a busy machine, and the setting that lifts it
 * is per connection.
 */
export async function seedApiData(db: Db, sizes: SeedSizes, log: (line: string) => void): Promise<SeededData> {
  const t0 = performance.now();
  await db.execute(sql`set statement_timeout = 0`);
  log(`seeding ${sizes.courses.toLocaleString('en')} courses (search documents through the real indexer)`);
  await generateCourses(db, sizes.courses, log);
  const t1 = performance.now();
  const hash = await hashPassword(BENCH_PASSWORD);
  const t2 = performance.now();

  // Indexes of published courses and students, so the rest can be joined by arithmetic.
  await db.execute(sql`drop table if exists bench_courses, bench_lessons`);
  await db.execute(sql`
    create unlogged table bench_courses as
    select (row_number() over (order by id) - 1)::int as idx, id, instructor_id, price_amount, currency
    from courses where status = 'published'`);
  await db.execute(sql`create unique index on bench_courses (idx)`);
  const published = await count(db, sql`select count(*) as n from bench_courses`);

  log(`videos, ${SECTIONS_PER_COURSE} sections and ${SECTIONS_PER_COURSE * LESSONS_PER_SECTION} lessons per course`);
  await db.execute(sql`
    insert into videos (owner_id, status, original_filename, size_bytes, fingerprint, raw_key, part_size, part_count,
                        version, duration_seconds, width, height, ready_at, uploaded_at)
    select c.instructor_id, 'ready', 'lecture-' || c.idx || '.mp4', 1, 'bench-' || c.idx, 'bench/' || c.idx, 1, 1,
           'v1', ${LESSON_SECONDS}, 1280, 720, now(), now()
    from bench_courses c`);
  await db.execute(sql`
    insert into course_sections (course_id, title, position)
    select c.id, (array['시작하기','Core concepts','실전 프로젝트'])[s], s - 1
    from bench_courses c cross join generate_series(1, ${SECTIONS_PER_COURSE}) s`);
  await db.execute(sql`
    insert into lessons (course_id, section_id, title, type, position, is_free_preview, duration_seconds, video_id)
    select s.course_id, s.id,
           case when l % 2 = 0 then '강의 ' || (s.position * ${LESSONS_PER_SECTION} + l) else 'Lesson ' || (s.position * ${LESSONS_PER_SECTION} + l) end,
           'video', l - 1, s.position = 0 and l = 1, ${LESSON_SECONDS}, v.id
    from course_sections s
    join bench_courses c on c.id = s.course_id
    join videos v on v.fingerprint = 'bench-' || c.idx
    cross join generate_series(1, ${LESSONS_PER_SECTION}) l`);
  await db.execute(sql`
    create unlogged table bench_lessons as
    select c.idx as course_idx, (row_number() over (partition by l.course_id order by s.position, l.position))::int as ord,
           l.id as lesson_id, l.course_id
    from lessons l join course_sections s on s.id = l.section_id join bench_courses c on c.id = l.course_id`);
  await db.execute(sql`create unique index on bench_lessons (course_idx, ord)`);
  const lessons = await count(db, sql`select count(*) as n from bench_lessons`);

  log(`${sizes.students.toLocaleString('en')} students sharing one Argon2 hash`);
  await db.execute(sql`
    insert into users (email, password_hash, display_name, role, locale, email_verified_at, terms_accepted_at, privacy_accepted_at)
    select 'student-' || n || '@bench.example', ${hash},
           (array['김','이','박','최','정'])[1 + n % 5] || (array['지우','서준','하윤','민서'])[1 + n % 4] || ' ' || n,
           'student', (case when n % 3 = 0 then 'en' else 'ko' end)::user_locale, now(), now(), now()
    from generate_series(0, ${sizes.students - 1}) n`);
  await db.execute(sql`
    insert into enrollments (user_id, course_id, source)
    select u.id, c.id, 'free'
    from (select id, substring(email from 'student-(\\d+)@')::int as n from users where email like 'student-%@bench.example') u
    cross join generate_series(0, ${ENROLLMENTS_PER_STUDENT - 1}) k
    join bench_courses c on c.idx = (u.n * 7 + k * 1543) % ${published}
    on conflict do nothing`);
  const enrollments = await count(db, sql`select count(*) as n from enrollments`);

  // Progress: the first lessons of each enrollment, round-robin over the enrollments until the
  // requested number of rows (1,000,000 = 100,000 students × 10 lessons).
  log(`${sizes.progressRows.toLocaleString('en')} lesson_progress rows`);
  const perEnrollment = Math.ceil(sizes.progressRows / Math.max(1, enrollments));
  await db.execute(sql`
    insert into lesson_progress (user_id, lesson_id, course_id, watched, watched_seconds, last_position_seconds,
                                 completed_at, started_at, updated_at)
    select user_id, lesson_id, course_id,
           case when done then ${JSON.stringify([[0, LESSON_SECONDS]])}::jsonb else ${JSON.stringify([[0, 600]])}::jsonb end,
           case when done then ${LESSON_SECONDS} else 600 end, case when done then ${LESSON_SECONDS} else 600 end,
           case when done then now() end, now() - interval '3 days', now() - interval '1 day'
    from (
      select e.user_id, bl.lesson_id, bl.course_id, bl.ord < ${perEnrollment} as done
      from enrollments e
      join bench_courses c on c.id = e.course_id
      join bench_lessons bl on bl.course_idx = c.idx and bl.ord <= ${perEnrollment}
      order by e.user_id, bl.ord
      limit ${sizes.progressRows}
    ) p
    on conflict do nothing`);
  const progressRows = await count(db, sql`select count(*) as n from lesson_progress`);

  // The playback sessions behind that progress, ended long ago: one per lesson a student has
  // watched. A live sessions table holds its history; left empty, the grant bench measured a table
  // that grew from nothing during the run, and plans PostgreSQL made for a table of one page (a
  // sequential scan of "this student's open sessions") stayed cached in the API's connections
  // while it grew to thousands of rows.
  log(`${progressRows.toLocaleString('en')} ended playback sessions (the history behind the progress)`);
  await db.execute(sql`
    insert into playback_sessions (user_id, course_id, lesson_id, video_id, started_at, renewed_at, expires_at,
                                   ended_at, end_reason)
    select p.user_id, p.course_id, p.lesson_id, l.video_id, p.started_at, p.started_at + interval '10 minutes',
           p.started_at + interval '20 minutes', p.started_at + interval '12 minutes', 'closed'
    from lesson_progress p join lessons l on l.id = p.lesson_id
    where l.video_id is not null`);
  const playbackSessions = await count(db, sql`select count(*) as n from playback_sessions`);

  // Pending orders, one per student from the end of the range, for a priced course the student
  // has not got (index offsets 0, 1543, 3086 are taken; +4629 is not, for catalogs over 4,629).
  log(`${sizes.pendingOrders.toLocaleString('en')} pending orders`);
  await db.execute(sql`
    insert into orders (user_id, course_id, status, list_amount, amount, currency, gateway, checkout_session_id,
                        checkout_expires_at, idempotency_key)
    select u.id, c.id, 'pending', c.price_amount, c.price_amount, c.currency, 'test', 'cs_bench_' || u.n,
           now() + interval '1 day', 'bench-' || u.n
    from (select id, substring(email from 'student-(\\d+)@')::int as n from users where email like 'student-%@bench.example') u
    join lateral (
      select * from bench_courses c
      where c.price_amount > 0 and c.idx >= (u.n * 7 + 4629) % ${published}
        and c.idx not in ((u.n * 7) % ${published}, (u.n * 7 + 1543) % ${published}, (u.n * 7 + 3086) % ${published})
      order by c.idx limit 1
    ) c on true
    where u.n >= ${Math.max(0, sizes.students - sizes.pendingOrders)}`);
  const orders = rowsOf<{ id: string; sessionId: string; amount: number; currency: string }>(
    await db.execute(sql`
      select id, checkout_session_id as "sessionId", amount, currency from orders where status = 'pending' order by md5(id::text)`),
  );

  log('vacuum analyze');
  await db.execute(sql`vacuum analyze`);
  const slugs = rowsOf<{ slug: string }>(
    await db.execute(sql`select slug from courses where status = 'published' order by md5(slug)`),
  ).map((r) => r.slug);
  const categoryCounts = [
    { slug: null, courses: published },
    ...rowsOf<{ slug: string; n: number | string }>(
      await db.execute(sql`
        select cat.slug, count(c.id) as n
        from categories cat
        left join categories sub on sub.parent_id = cat.id
        join courses c on c.status = 'published' and (c.category_id = cat.id or c.category_id = sub.id)
        group by cat.slug`),
    ).map((r) => ({ slug: r.slug, courses: Number(r.n) })),
  ];
  const t3 = performance.now();
  log(
    `seeded in ${((t3 - t0) / 1000).toFixed(1)} s: ${published} published courses, ${lessons} lessons, ` +
      `${enrollments} enrollments, ${progressRows} progress rows, ${orders.length} pending orders`,
  );
  return {
    sizes,
    published,
    lessons,
    enrollments,
    progressRows,
    playbackSessions,
    pendingOrders: orders.length,
    seconds: { catalog: (t1 - t0) / 1000, hash: (t2 - t1) / 1000, rest: (t3 - t2) / 1000 },
    slugs,
    categoryCounts,
    async studentLesson(n: number) {
      const [row] = rowsOf<{ lesson_id: string; course_id: string }>(
        await db.execute(sql`
          select bl.lesson_id, bl.course_id from bench_lessons bl
          where bl.course_idx = (${n} * 7) % ${published} and bl.ord = 2`),
      );
      if (!row) throw new Error(`no lesson for student ${n}`);
      return { email: studentEmail(n), lessonId: row.lesson_id, courseId: row.course_id };
    },
    orders,
  };
}

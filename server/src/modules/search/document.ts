import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { rowsOf } from '../../platform/db/rows.js';
import { documentBigrams, fold, withoutHangul } from './analyzer.js';
import type { CourseSearchIndexer } from './indexer.js';

/** Long descriptions add little relevance but cost index size; the start says what a course is. */
const DESCRIPTION_LIMIT = 20_000;

interface SourceRow {
  id: string;
  status: string;
  title: string;
  subtitle: string;
  description: string;
  tags: string[];
  category_names: string;
  instructor_name: string;
  outline: string;
}

/** The three weighted parts of a document: A the title, B what labels it, C the body. */
function parts(row: SourceRow) {
  const title = row.title;
  const labels = [row.subtitle, row.tags.join(' '), row.category_names, row.instructor_name].join(' ');
  const body = `${row.description.slice(0, DESCRIPTION_LIMIT)} ${row.outline}`;
  return {
    id: row.id,
    // For the English vector: Latin words only (see withoutHangul); Korean goes to the bigrams.
    title: withoutHangul(title),
    labels: withoutHangul(labels),
    body: withoutHangul(body),
    ko_title: documentBigrams(title),
    ko_labels: documentBigrams(labels),
    ko_body: documentBigrams(body),
    folded: fold(title),
  };
}

/**
 * Builds search documents from the catalog tables. Used by the catalog inside its own write
 * transaction (`syncCourse`) and by `lectio reindex` in batches (`syncCourses`); both take the
 * same path so a reindex produces exactly what live updates produce.
 */
export class SearchDocumentIndexer implements CourseSearchIndexer {
  async syncCourse(tx: Db, courseId: string): Promise<void> {
    await this.syncCourses(tx, [courseId]);
  }

  /**
   * Rebuilds the documents of the given courses: published ones are upserted, everything else
   * (draft, archived, taken down, deleted) loses its document. Returns how many were indexed.
   */
  async syncCourses(tx: Db, courseIds: readonly string[]): Promise<number> {
    if (courseIds.length === 0) return 0;
    const ids = JSON.stringify(courseIds);
    const rows = rowsOf<SourceRow>(
      await tx.execute(sql`
        select c.id, c.status, c.title, c.subtitle, c.description, c.tags,
          concat_ws(' ', cat.name_ko, cat.name_en, parent.name_ko, parent.name_en) as category_names,
          u.display_name as instructor_name,
          concat_ws(' ',
            (select string_agg(s.title, ' ') from course_sections s where s.course_id = c.id),
            (select string_agg(l.title, ' ') from lessons l where l.course_id = c.id)
          ) as outline
        from courses c
        join users u on u.id = c.instructor_id
        left join categories cat on cat.id = c.category_id
        left join categories parent on parent.id = cat.parent_id
        where c.id in (select value::uuid from jsonb_array_elements_text(${ids}::jsonb))
      `),
    );
    const published = rows.filter((r) => r.status === 'published').map(parts);
    const indexed = new Set(published.map((p) => p.id));
    const gone = courseIds.filter((id) => !indexed.has(id));
    if (gone.length > 0) {
      await tx.execute(sql`
        delete from course_search_documents
        where course_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(gone)}::jsonb))
      `);
    }
    if (published.length === 0) return 0;
    // One statement for the whole batch; tsvectors are built by PostgreSQL from the texts and
    // the bigram strings the application cut (the only Korean analysis there is).
    await tx.execute(sql`
      insert into course_search_documents (course_id, words, bigrams, title_folded, status, category_id, level, language,
        price_amount, currency, rating_average, rating_count, enrollment_count, view_count, published_at, updated_at)
      select x.id,
        setweight(to_tsvector('english', x.title), 'A')
          || setweight(to_tsvector('english', x.labels), 'B')
          || setweight(to_tsvector('english', x.body), 'C'),
        setweight(to_tsvector('simple', x.ko_title), 'A')
          || setweight(to_tsvector('simple', x.ko_labels), 'B')
          || setweight(to_tsvector('simple', x.ko_body), 'C'),
        x.folded,
        c.status, c.category_id, c.level, c.language, c.price_amount, c.currency,
        c.rating_average, c.rating_count, c.enrollment_count, c.view_count, c.published_at,
        now()
      from jsonb_to_recordset(${JSON.stringify(published)}::jsonb) as x(
        id uuid, title text, labels text, body text, ko_title text, ko_labels text, ko_body text, folded text)
      -- Filter and sort columns come straight from the course row, read in this same transaction.
      join courses c on c.id = x.id
      on conflict (course_id) do update set
        words = excluded.words,
        bigrams = excluded.bigrams,
        title_folded = excluded.title_folded,
        status = excluded.status,
        category_id = excluded.category_id,
        level = excluded.level,
        language = excluded.language,
        price_amount = excluded.price_amount,
        currency = excluded.currency,
        rating_average = excluded.rating_average,
        rating_count = excluded.rating_count,
        enrollment_count = excluded.enrollment_count,
        view_count = excluded.view_count,
        published_at = excluded.published_at,
        updated_at = excluded.updated_at
    `);
    return published.length;
  }
}

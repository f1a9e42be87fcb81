-- Hand-written. The English vector of a search document (`words`) now gets the Latin words only:
-- the indexer blanks Hangul runs out before to_tsvector('english', ...) (search/analyzer.ts,
-- withoutHangul). Korean is searched through the bigrams, so the Korean words in `words` never
-- matched anything, yet made a Korean course's row about a third larger; and PostgreSQL's parser
-- kept a particle glued to a Latin word (`React로`) as one word, so `react` did not find it.
-- This rebuilds `words` of the documents that exist, from the same texts the indexer reads
-- (search/document.ts at this migration: A the title; B subtitle, tags, category names, instructor;
-- C the first 20,000 characters of the description and the section and lesson titles). The bigrams
-- and every other column are unchanged. `lectio reindex` rebuilds all of it the same way.
UPDATE "course_search_documents" d SET "words" =
  setweight(to_tsvector('english', regexp_replace(normalize(c."title", NFC), '[ㄱ-ㆎ가-힣]+', ' ', 'g')), 'A')
  || setweight(to_tsvector('english', regexp_replace(normalize(concat_ws(' ',
       c."subtitle", array_to_string(c."tags", ' '),
       concat_ws(' ', cat."name_ko", cat."name_en", parent."name_ko", parent."name_en"),
       u."display_name"), NFC), '[ㄱ-ㆎ가-힣]+', ' ', 'g')), 'B')
  || setweight(to_tsvector('english', regexp_replace(normalize(concat_ws(' ',
       left(c."description", 20000),
       (SELECT string_agg(s."title", ' ') FROM "course_sections" s WHERE s."course_id" = c."id"),
       (SELECT string_agg(l."title", ' ') FROM "lessons" l WHERE l."course_id" = c."id")), NFC),
       '[ㄱ-ㆎ가-힣]+', ' ', 'g')), 'C')
FROM "courses" c
JOIN "users" u ON u."id" = c."instructor_id"
LEFT JOIN "categories" cat ON cat."id" = c."category_id"
LEFT JOIN "categories" parent ON parent."id" = cat."parent_id"
WHERE c."id" = d."course_id";

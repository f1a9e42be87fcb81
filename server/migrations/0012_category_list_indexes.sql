-- A category's list pages, one per sort: led by the category so its page is one range of the index,
-- read index-only (CatalogRepository.pagePublished). The courses table is small next to what it
-- indexes elsewhere (tens of thousands of rows), so a plain build inside the migration's transaction
-- takes well under a second.
CREATE INDEX "courses_category_list_newest_idx" ON "courses" USING btree ("category_id","published_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "courses"."status" = 'published';--> statement-breakpoint
CREATE INDEX "courses_category_list_popular_idx" ON "courses" USING btree ("category_id","enrollment_count" DESC NULLS FIRST,"view_count" DESC NULLS FIRST,"published_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "courses"."status" = 'published';--> statement-breakpoint
CREATE INDEX "courses_category_list_rating_idx" ON "courses" USING btree ("category_id","rating_average" DESC NULLS FIRST,"rating_count" DESC NULLS FIRST,"published_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "courses"."status" = 'published';
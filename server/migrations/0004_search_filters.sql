ALTER TABLE "course_search_documents" ADD COLUMN "status" "course_status" DEFAULT 'published' NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "category_id" uuid;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "level" "course_level" DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "language" "course_language" DEFAULT 'ko' NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "price_amount" integer;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "currency" "currency" DEFAULT 'KRW' NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "rating_average" numeric(3, 2) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "rating_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "enrollment_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "view_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "course_search_documents" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
-- Hand-written below (drizzle-kit does not model triggers): fill the copies for documents that
-- exist already, then keep them equal to courses on every later update, whichever module writes
-- the course (the catalog, enrollments, reviews, the view-count flush, or a status changed outside the catalog).
UPDATE "course_search_documents" d SET "status" = c."status", "category_id" = c."category_id", "level" = c."level", "language" = c."language", "price_amount" = c."price_amount", "currency" = c."currency", "rating_average" = c."rating_average", "rating_count" = c."rating_count", "enrollment_count" = c."enrollment_count", "view_count" = c."view_count", "published_at" = c."published_at" FROM "courses" c WHERE c."id" = d."course_id";--> statement-breakpoint
CREATE FUNCTION "course_search_documents_copy_course"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "course_search_documents" SET "status" = NEW."status", "category_id" = NEW."category_id", "level" = NEW."level", "language" = NEW."language", "price_amount" = NEW."price_amount", "currency" = NEW."currency", "rating_average" = NEW."rating_average", "rating_count" = NEW."rating_count", "enrollment_count" = NEW."enrollment_count", "view_count" = NEW."view_count", "published_at" = NEW."published_at"
  WHERE "course_id" = NEW."id";
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "courses_search_documents_copy" AFTER UPDATE OF "status", "category_id", "level", "language", "price_amount", "currency", "rating_average", "rating_count", "enrollment_count", "view_count", "published_at" ON "courses" FOR EACH ROW WHEN ((OLD."status", OLD."category_id", OLD."level", OLD."language", OLD."price_amount", OLD."currency", OLD."rating_average", OLD."rating_count", OLD."enrollment_count", OLD."view_count", OLD."published_at") IS DISTINCT FROM (NEW."status", NEW."category_id", NEW."level", NEW."language", NEW."price_amount", NEW."currency", NEW."rating_average", NEW."rating_count", NEW."enrollment_count", NEW."view_count", NEW."published_at")) EXECUTE FUNCTION "course_search_documents_copy_course"();

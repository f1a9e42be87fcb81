CREATE TABLE "view_count_flushes" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"flushed_at" timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TYPE "public"."video_status" AS ENUM('uploading', 'uploaded', 'processing', 'ready', 'failed', 'aborted');--> statement-breakpoint
CREATE TABLE "videos" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"status" "video_status" DEFAULT 'uploading' NOT NULL,
	"progress_percent" integer DEFAULT 0 NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"original_filename" text NOT NULL,
	"content_type" text,
	"size_bytes" bigint NOT NULL,
	"fingerprint" text NOT NULL,
	"raw_key" text NOT NULL,
	"upload_id" text,
	"part_size" integer NOT NULL,
	"part_count" integer NOT NULL,
	"raw_storage_class" text DEFAULT 'standard' NOT NULL,
	"raw_archived_at" timestamp with time zone,
	"version" text,
	"processing_version" text,
	"duration_seconds" real,
	"width" integer,
	"height" integer,
	"renditions" jsonb,
	"poster" jsonb,
	"storyboard" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uploaded_at" timestamp with time zone,
	"ready_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "videos" ADD CONSTRAINT "videos_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "videos_owner_idx" ON "videos" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "videos_open_upload_key" ON "videos" USING btree ("owner_id","fingerprint") WHERE "videos"."status" = 'uploading';--> statement-breakpoint
CREATE INDEX "videos_raw_archive_idx" ON "videos" USING btree ("uploaded_at") WHERE "videos"."raw_storage_class" = 'standard';--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE set null ON UPDATE no action;
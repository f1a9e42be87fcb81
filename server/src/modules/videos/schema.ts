import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { PosterOutput, RenditionOutput, StoryboardOutput } from '../../platform/media/video/types.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * uploading → uploaded → processing → ready | failed. `aborted` keeps the row (and its limits
 * accounting) honest after an instructor cancels, until the cleanup removes it.
 */
export const videoStatus = pgEnum('video_status', [
  'uploading',
  'uploaded',
  'processing',
  'ready',
  'failed',
  'aborted',
]);

/**
 * What the pipeline stores is what the media core reports (one definition, so the two cannot drift);
 * a rung's segment count is only needed while publishing.
 */
export type VideoRenditionRecord = Omit<RenditionOutput, 'segmentCount'>;
export type VideoPosterRecord = PosterOutput;
export type VideoStoryboardRecord = StoryboardOutput;

export const videos = pgTable(
  'videos',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    status: videoStatus('status').notNull().default('uploading'),
    /** Transcode progress 0–100 while processing. */
    progressPercent: integer('progress_percent').notNull().default(0),
    /** Machine-readable reason when failed (`not_media`, `no_video_stream`, ...). */
    failureCode: text('failure_code'),
    /** The instructor-readable sentence for failureCode. */
    failureMessage: text('failure_message'),

    originalFilename: text('original_filename').notNull(),
    contentType: text('content_type'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /** name + size + lastModified of the picked file: finds the upload again after a reload. */
    fingerprint: text('fingerprint').notNull(),

    /** Key in videos-raw. */
    rawKey: text('raw_key').notNull(),
    /** The open multipart upload; null once completed or aborted. */
    uploadId: text('upload_id'),
    partSize: integer('part_size').notNull(),
    partCount: integer('part_count').notNull(),
    /** 'standard' until the raw lifecycle moves it to cold storage. */
    rawStorageClass: text('raw_storage_class').notNull().default('standard'),
    rawArchivedAt: at('raw_archived_at'),

    /** The published output prefix in videos-processed (`<id>/<version>/`); null until ready. */
    version: text('version'),
    /** The prefix a running (or crashed) transcode writes to; never served. */
    processingVersion: text('processing_version'),
    durationSeconds: real('duration_seconds'),
    width: integer('width'),
    height: integer('height'),
    renditions: jsonb('renditions').$type<VideoRenditionRecord[]>(),
    poster: jsonb('poster').$type<VideoPosterRecord>(),
    storyboard: jsonb('storyboard').$type<VideoStoryboardRecord>(),

    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    uploadedAt: at('uploaded_at'),
    readyAt: at('ready_at'),
  },
  (t) => [
    index('videos_owner_idx').on(t.ownerId, t.createdAt),
    // At most one open upload per picked file and owner, so a reload finds exactly one to resume.
    uniqueIndex('videos_open_upload_key')
      .on(t.ownerId, t.fingerprint)
      .where(sql`${t.status} = 'uploading'`),
    index('videos_raw_archive_idx')
      .on(t.uploadedAt)
      .where(sql`${t.rawStorageClass} = 'standard'`),
  ],
);

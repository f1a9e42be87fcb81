import { bigint, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A ledger of multipart parts the client reported as stored. Resuming an upload reads this rather
 * than ListParts, which not every S3-compatible server implements (s3rver answers MethodNotAllowed).
 */
export const storageMultipartParts = pgTable(
  'storage_multipart_parts',
  {
    uploadId: text('upload_id').notNull(),
    bucket: text('bucket').notNull(),
    key: text('key').notNull(),
    partNumber: integer('part_number').notNull(),
    etag: text('etag').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

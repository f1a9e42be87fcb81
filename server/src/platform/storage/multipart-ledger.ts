import { and, asc, eq, lt } from 'drizzle-orm';
import type { DatabasePort } from '../db/port.js';
import type { UploadedPart } from './port.js';
import { storageMultipartParts } from './schema.js';

/**
 * The parts a client reported for each multipart upload. The S3 adapter answers listParts from
 * here because ListParts is not implemented everywhere (s3rver answers MethodNotAllowed); the
 * ledger is authoritative enough, since completing needs the client's ETags anyway.
 */
export class MultipartLedger {
  constructor(private readonly database: DatabasePort) {}

  /** A re-sent part replaces the earlier report for that part number. */
  async record(bucket: string, key: string, uploadId: string, part: UploadedPart): Promise<void> {
    const row = { uploadId, bucket, key, partNumber: part.partNumber, etag: part.etag, size: part.size };
    await this.database.primary
      .insert(storageMultipartParts)
      .values(row)
      .onConflictDoUpdate({
        target: [storageMultipartParts.uploadId, storageMultipartParts.partNumber],
        set: { etag: row.etag, size: row.size, createdAt: new Date() },
        // An upload id belongs to one bucket and key; a report naming another cannot rewrite it.
        setWhere: and(eq(storageMultipartParts.bucket, bucket), eq(storageMultipartParts.key, key)),
      });
  }

  /** Reads the primary: a client resuming right after reporting a part must see that part. */
  async list(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    return this.database.primary
      .select({
        partNumber: storageMultipartParts.partNumber,
        etag: storageMultipartParts.etag,
        size: storageMultipartParts.size,
      })
      .from(storageMultipartParts)
      .where(
        and(
          eq(storageMultipartParts.uploadId, uploadId),
          eq(storageMultipartParts.bucket, bucket),
          eq(storageMultipartParts.key, key),
        ),
      )
      .orderBy(asc(storageMultipartParts.partNumber));
  }

  async clear(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.database.primary
      .delete(storageMultipartParts)
      .where(
        and(
          eq(storageMultipartParts.uploadId, uploadId),
          eq(storageMultipartParts.bucket, bucket),
          eq(storageMultipartParts.key, key),
        ),
      );
  }

  /**
   * Rows of uploads never completed nor aborted; a periodic job can call this with the same age
   * the bucket's AbortIncompleteMultipartUpload rule uses. Returns how many rows went.
   */
  async pruneOlderThan(cutoff: Date): Promise<number> {
    const removed = await this.database.primary
      .delete(storageMultipartParts)
      .where(lt(storageMultipartParts.createdAt, cutoff))
      .returning({ uploadId: storageMultipartParts.uploadId });
    return removed.length;
  }
}

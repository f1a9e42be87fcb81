import type { Readable } from 'node:stream';
import type { BucketName } from '../../config.js';

export type { BucketName };

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  contentType: string | undefined;
  lastModified: Date;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

export interface PresignOptions {
  expiresInSeconds: number;
}

export interface StoragePort {
  readonly backend: 'local' | 's3';
  /** Creates any missing bucket; called once at start-up. */
  ensureBuckets(): Promise<void>;
  presignPut(bucket: BucketName, key: string, options: PresignOptions & { contentType?: string }): Promise<string>;
  presignGet(bucket: BucketName, key: string, options: PresignOptions & { downloadName?: string }): Promise<string>;
  putObject(
    bucket: BucketName,
    key: string,
    body: Buffer | Readable,
    options?: { contentType?: string },
  ): Promise<void>;
  getObject(bucket: BucketName, key: string): Promise<Readable>;
  headObject(bucket: BucketName, key: string): Promise<ObjectInfo | undefined>;
  deleteObject(bucket: BucketName, key: string): Promise<void>;
  /** Ordered by key; pass the returned cursor to continue. */
  list(
    bucket: BucketName,
    prefix: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<{ objects: ObjectInfo[]; cursor: string | undefined }>;

  createMultipartUpload(bucket: BucketName, key: string, options?: { contentType?: string }): Promise<string>;
  presignUploadPart(
    bucket: BucketName,
    key: string,
    uploadId: string,
    partNumber: number,
    options: PresignOptions,
  ): Promise<string>;
  /** Records a part the client reports stored (its ETag comes from the PUT response). */
  recordUploadedPart(bucket: BucketName, key: string, uploadId: string, part: UploadedPart): Promise<void>;
  /** The parts stored so far, so an interrupted upload resumes where it stopped. */
  listParts(bucket: BucketName, key: string, uploadId: string): Promise<UploadedPart[]>;
  completeMultipartUpload(
    bucket: BucketName,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void>;
  abortMultipartUpload(bucket: BucketName, key: string, uploadId: string): Promise<void>;
  /**
   * Moves an object to cheaper, slower storage; it stays readable under the same key.
   * 'unsupported': the backend does not move single objects (S3: the bucket's lifecycle rule does).
   */
  archiveObject(bucket: BucketName, key: string): Promise<'archived' | 'unsupported'>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

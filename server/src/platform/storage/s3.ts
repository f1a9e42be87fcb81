/**
 * S3-compatible object storage (AWS S3, MinIO, s3rver, ...) with @aws-sdk/client-s3 v3.
 *
 * Compatibility, as exercised by storage.contract.test.ts against s3rver 3.7.1 with
 * @aws-sdk/client-s3 v3 (3.1175) and @aws-sdk/s3-request-presigner (3.1169):
 *   Verified:  HeadBucket, CreateBucket, PutObject (direct and presigned with Content-Type),
 *              GetObject (direct and presigned, incl. response-content-disposition and a
 *              `bytes=a-b` / `bytes=a-` Range), presigned-URL expiry (answered 403), HeadObject
 *              (404 -> undefined), DeleteObject, ListObjectsV2 (Prefix, MaxKeys,
 *              ContinuationToken), CreateMultipartUpload, UploadPart (presigned, and direct for
 *              a streamed putObject), CompleteMultipartUpload.
 *   Not implemented by s3rver: ListParts and AbortMultipartUpload (both MethodNotAllowed),
 *              ListMultipartUploads and bucket lifecycle configuration (NotImplemented); hence
 *              the multipart ledger, the tolerant abort and the tolerated lifecycle rule below.
 *   Not checked by s3rver, so not verified here (real S3 enforces them): SigV4 signatures, so a
 *              URL signed for one key, method, part number or Content-Type is accepted for
 *              another; ETag checks and the 5 MiB minimum part size on completion. The local
 *              backend enforces all of these and its contract tests check them.
 *   s3rver quirks: truncated ListObjectsV2 answers need --openssl-legacy-provider (its
 *              continuation tokens use DES; the test helper runs it that way); it lists in
 *              directory-walk order, not S3's UTF-8 byte order ('a/b' before 'a-b'); it
 *              mishandles suffix ranges (`bytes=-N`).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type BucketLocationConstraint,
  type CompletedPart,
  type LifecycleRule,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { BUCKETS, type Config } from '../../config.js';
import type { DatabasePort } from '../db/port.js';
import { StorageError, type StorageErrorCode } from './errors.js';
import { MultipartLedger } from './multipart-ledger.js';
import type { BucketName, ObjectInfo, PresignOptions, StoragePort, UploadedPart } from './port.js';
import {
  assertBucket,
  assertCompletableParts,
  assertContentType,
  assertDownloadName,
  assertExpiry,
  assertPartNumber,
  assertValidKey,
  assertValidPrefix,
  attachmentDisposition,
  quoteEtag,
  resolveListLimit,
} from './validation.js';

export type S3StorageConfig = Extract<Config['storage'], { backend: 's3' }>;

/** The slice of a pino logger this adapter uses. */
export interface StorageLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface S3StorageOptions {
  /** Holds the multipart ledger (storage_multipart_parts). */
  database: DatabasePort;
  logger?: StorageLogger;
  /** Part size when putObject streams a body of unknown length; at least S3's 5 MiB minimum. */
  streamPartBytes?: number;
  /** Days after which the videos-raw lifecycle rule moves raw uploads to Glacier Instant Retrieval. */
  rawColdAfterDays?: number;
  /** Web origins whose pages PUT upload parts straight to videos-raw (the app's public URL, CORS_ORIGINS). */
  browserOrigins?: string[];
}

const MiB = 1024 * 1024;
const DEFAULT_STREAM_PART_BYTES = 8 * MiB;
const DEFAULT_RAW_COLD_AFTER_DAYS = 30;
/** Parts of uploads nobody completed or aborted (a closed tab) stop costing money after this. */
const ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7;
/**
 * The design keeps backups 30 days (the backup job prunes to BACKUP_RETENTION_DAYS); the bucket
 * deletes anything older than this whatever the job does, so a broken pruner cannot keep backups
 * (personal data) forever.
 */
const BACKUPS_EXPIRE_AFTER_DAYS = 90;
/**
 * On a versioned bucket an expiry or a delete only adds a delete marker and keeps the data as an
 * old version: gone a day later, so "deleted after 90 days" holds for the bytes (as in infra/).
 */
const BACKUPS_NONCURRENT_EXPIRE_AFTER_DAYS = 1;
/** Where `lectio backup` writes (modules/backups); the rest of the bucket is pgBackRest's. */
const BACKUPS_EXPIRING_PREFIX = 'postgres/';
/** Errors an abort may meet without anything being wrong with the upload's bookkeeping. */
const ABORT_UNSUPPORTED = new Set(['MethodNotAllowed', 'NotImplemented']);
/** S3's completion errors that mean the same as the local store's. */
const COMPLETION_ERRORS: Record<string, StorageErrorCode> = {
  InvalidPart: 'invalid_part',
  InvalidPartOrder: 'invalid_part_order',
  EntityTooSmall: 'entity_too_small',
  NoSuchUpload: 'no_such_upload',
};

export class S3Storage implements StoragePort {
  readonly backend = 's3' as const;
  readonly #client: S3Client;
  readonly #bucketPrefix: string;
  readonly #region: string;
  readonly #ledger: MultipartLedger;
  readonly #logger: StorageLogger | undefined;
  readonly #streamPartBytes: number;
  readonly #rawColdAfterDays: number;
  readonly #browserOrigins: string[];
  #warnedAbortUnsupported = false;

  constructor(config: S3StorageConfig, options: S3StorageOptions) {
    this.#client = new S3Client(clientConfig(config));
    this.#bucketPrefix = config.bucketPrefix;
    this.#region = config.region;
    this.#ledger = new MultipartLedger(options.database);
    this.#logger = options.logger;
    this.#streamPartBytes = Math.max(5 * MiB, options.streamPartBytes ?? DEFAULT_STREAM_PART_BYTES);
    this.#rawColdAfterDays = options.rawColdAfterDays ?? DEFAULT_RAW_COLD_AFTER_DAYS;
    this.#browserOrigins = [...new Set(options.browserOrigins ?? [])];
  }

  async ensureBuckets(): Promise<void> {
    await Promise.all(BUCKETS.map((bucket) => this.#ensureBucket(this.#bucketName(bucket))));
    await this.#ensureRawLifecycle();
    await this.#ensureBackupsLifecycle();
    await this.#ensureRawCors();
  }

  async presignPut(
    bucket: BucketName,
    key: string,
    options: PresignOptions & { contentType?: string },
  ): Promise<string> {
    assertContentType(options.contentType);
    assertExpiry(options.expiresInSeconds);
    const command = new PutObjectCommand({ ...this.#target(bucket, key), ContentType: options.contentType });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async presignGet(
    bucket: BucketName,
    key: string,
    options: PresignOptions & { downloadName?: string },
  ): Promise<string> {
    assertDownloadName(options.downloadName);
    assertExpiry(options.expiresInSeconds);
    const command = new GetObjectCommand({
      ...this.#target(bucket, key),
      ResponseContentDisposition:
        options.downloadName === undefined ? undefined : attachmentDisposition(options.downloadName),
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async putObject(
    bucket: BucketName,
    key: string,
    body: Buffer | Readable,
    options: { contentType?: string } = {},
  ): Promise<void> {
    assertContentType(options.contentType);
    const target = this.#target(bucket, key);
    if (Buffer.isBuffer(body)) {
      await this.#client.send(new PutObjectCommand({ ...target, Body: body, ContentType: options.contentType }));
      return;
    }
    await this.#putStream(target, body, options.contentType);
  }

  async getObject(bucket: BucketName, key: string): Promise<Readable> {
    const target = this.#target(bucket, key);
    try {
      const output = await this.#client.send(new GetObjectCommand(target));
      // In Node the SDK's body is an IncomingMessage; anything else means a non-Node HTTP handler.
      if (!(output.Body instanceof Readable)) throw new Error('The S3 client returned a non-stream body');
      return output.Body;
    } catch (error) {
      if (isNotFound(error)) {
        throw new StorageError('not_found', `No object ${JSON.stringify(key)} in bucket ${bucket}`, { bucket, key });
      }
      throw error;
    }
  }

  async headObject(bucket: BucketName, key: string): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.#client.send(new HeadObjectCommand(this.#target(bucket, key)));
      return {
        key,
        size: output.ContentLength ?? 0,
        etag: output.ETag ?? '',
        contentType: output.ContentType,
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteObject(bucket: BucketName, key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand(this.#target(bucket, key)));
  }

  /** contentType is undefined: ListObjectsV2 does not return it (headObject does). */
  async list(
    bucket: BucketName,
    prefix: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ objects: ObjectInfo[]; cursor: string | undefined }> {
    assertValidPrefix(prefix);
    const output = await this.#client.send(
      new ListObjectsV2Command({
        Bucket: this.#bucketName(bucket),
        Prefix: prefix === '' ? undefined : prefix,
        MaxKeys: resolveListLimit(options.limit),
        ContinuationToken: options.cursor,
      }),
    );
    const objects = (output.Contents ?? []).map((object) => ({
      key: object.Key ?? '',
      size: object.Size ?? 0,
      etag: object.ETag ?? '',
      contentType: undefined,
      lastModified: object.LastModified ?? new Date(0),
    }));
    return { objects, cursor: output.IsTruncated ? output.NextContinuationToken : undefined };
  }

  async createMultipartUpload(
    bucket: BucketName,
    key: string,
    options: { contentType?: string } = {},
  ): Promise<string> {
    assertContentType(options.contentType);
    const output = await this.#client.send(
      new CreateMultipartUploadCommand({ ...this.#target(bucket, key), ContentType: options.contentType }),
    );
    if (!output.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return output.UploadId;
  }

  async presignUploadPart(
    bucket: BucketName,
    key: string,
    uploadId: string,
    partNumber: number,
    options: PresignOptions,
  ): Promise<string> {
    assertPartNumber(partNumber);
    assertExpiry(options.expiresInSeconds);
    const command = new UploadPartCommand({ ...this.#target(bucket, key), UploadId: uploadId, PartNumber: partNumber });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async recordUploadedPart(bucket: BucketName, key: string, uploadId: string, part: UploadedPart): Promise<void> {
    this.#target(bucket, key);
    assertPartNumber(part.partNumber);
    if (!Number.isSafeInteger(part.size) || part.size < 0 || part.etag.replace(/"/g, '') === '') {
      throw new StorageError('invalid_part', 'A part needs a non-empty ETag and a size in bytes', { ...part });
    }
    await this.#ledger.record(bucket, key, uploadId, { ...part, etag: quoteEtag(part.etag) });
  }

  async listParts(bucket: BucketName, key: string, uploadId: string): Promise<UploadedPart[]> {
    this.#target(bucket, key);
    return this.#ledger.list(bucket, key, uploadId);
  }

  async completeMultipartUpload(
    bucket: BucketName,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    assertCompletableParts(parts);
    const completed: CompletedPart[] = parts.map((part) => ({
      PartNumber: part.partNumber,
      ETag: quoteEtag(part.etag),
    }));
    try {
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          ...this.#target(bucket, key),
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
    } catch (error) {
      throw asCompletionError(error) ?? error;
    }
    await this.#ledger.clear(bucket, key, uploadId);
  }

  /**
   * Servers without AbortMultipartUpload (s3rver) keep the parts: on real S3 a bucket lifecycle
   * rule (AbortIncompleteMultipartUpload, e.g. after 7 days) removes such strays, and should be
   * configured on every bucket. Either way the upload is over for us, so the ledger is cleared.
   */
  async abortMultipartUpload(bucket: BucketName, key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ ...this.#target(bucket, key), UploadId: uploadId }));
    } catch (error) {
      const name = error instanceof S3ServiceException ? error.name : undefined;
      if (name === undefined || !(ABORT_UNSUPPORTED.has(name) || name === 'NoSuchUpload')) throw error;
      if (ABORT_UNSUPPORTED.has(name)) this.#warnAbortUnsupported(name);
    }
    await this.#ledger.clear(bucket, key, uploadId);
  }

  /** The bucket's lifecycle rule moves raw uploads (see #ensureRawLifecycle); nothing to do per object. */
  async archiveObject(bucket: BucketName, key: string): Promise<'archived' | 'unsupported'> {
    this.#target(bucket, key);
    return 'unsupported';
  }

  async ping(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucketName(BUCKETS[0]) }));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  // ---- Helpers ----

  #bucketName(bucket: BucketName): string {
    assertBucket(bucket);
    return `${this.#bucketPrefix}${bucket}`;
  }

  #target(bucket: BucketName, key: string): { Bucket: string; Key: string } {
    assertValidKey(key);
    return { Bucket: this.#bucketName(bucket), Key: key };
  }

  async #ensureBucket(name: string): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: name }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.#client.send(
        new CreateBucketCommand({
          Bucket: name,
          // us-east-1 is S3's default and refuses to be named as a location constraint.
          CreateBucketConfiguration:
            this.#region === 'us-east-1' ? undefined : { LocationConstraint: this.#region as BucketLocationConstraint },
        }),
      );
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (!(error instanceof S3ServiceException && error.name === 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  /**
   * Raw uploads are read once (by the transcode) and then kept only to re-transcode: Glacier
   * Instant Retrieval costs a fraction and still reads in milliseconds. Written on every start, so
   * a changed VIDEO_RAW_COLD_AFTER_DAYS applies; where the rule cannot be set, a warning says so.
   */
  async #ensureRawLifecycle(): Promise<void> {
    await this.#putLifecycle(
      'videos-raw',
      {
        ID: 'raw-uploads-to-cold',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Transitions: [{ Days: this.#rawColdAfterDays, StorageClass: 'GLACIER_IR' }],
      },
      'raw uploads stay in the standard storage class',
    );
  }

  /**
   * Backups expire after 90 days, their replaced or deleted versions a day later (versioned
   * buckets), and dumps whose multipart upload died (a worker killed mid-upload) after 7. Written
   * on every start like the raw rule; a server without lifecycle support gets a warning.
   */
  async #ensureBackupsLifecycle(): Promise<void> {
    await this.#putLifecycle(
      'backups',
      {
        ID: 'backups-expire',
        Status: 'Enabled',
        // Only the dumps: pgBackRest's repository (pgbackrest/) expires its own files, and an
        // age rule would delete archive.info, which it writes once and needs for ever.
        Filter: { Prefix: BACKUPS_EXPIRING_PREFIX },
        Expiration: { Days: BACKUPS_EXPIRE_AFTER_DAYS },
        NoncurrentVersionExpiration: { NoncurrentDays: BACKUPS_NONCURRENT_EXPIRE_AFTER_DAYS },
      },
      'backups older than 90 days are not deleted by the bucket',
    );
  }

  /**
   * A bucket's lifecycle: its own rule plus the abort of multipart uploads that died. Lifecycle
   * rules save money and space; they are no reason to refuse to start. s3rver answers
   * NotImplemented, MinIO without a remote tier refuses GLACIER_IR, a narrow IAM policy
   * AccessDenied: a warning says what is not done (`consequence`).
   */
  async #putLifecycle(bucket: BucketName, rule: LifecycleRule, consequence: string): Promise<void> {
    try {
      await this.#client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.#bucketName(bucket),
          LifecycleConfiguration: {
            Rules: [
              rule,
              {
                ID: 'abort-incomplete-multipart-uploads',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS },
              },
            ],
          },
        }),
      );
    } catch (error) {
      const name = error instanceof S3ServiceException ? error.name : undefined;
      this.#logger?.warn(
        { error: name ?? String(error) },
        name === 'NotImplemented' || name === 'MethodNotAllowed'
          ? `this S3 server does not support bucket lifecycle rules; ${consequence}`
          : `could not set the ${bucket} lifecycle rule; ${consequence}`,
      );
    }
  }

  /**
   * The studio's uploader PUTs parts from the browser straight to videos-raw and must read each
   * part's ETag to complete the upload, which a cross-origin response hides unless exposed.
   * Only PUT, only from the app's own origins; a server without CORS support gets a warning.
   */
  async #ensureRawCors(): Promise<void> {
    if (this.#browserOrigins.length === 0) return;
    try {
      await this.#client.send(
        new PutBucketCorsCommand({
          Bucket: this.#bucketName('videos-raw'),
          CORSConfiguration: {
            CORSRules: [
              {
                ID: 'studio-direct-upload',
                AllowedOrigins: this.#browserOrigins,
                AllowedMethods: ['PUT'],
                AllowedHeaders: ['content-type', 'content-md5'],
                ExposeHeaders: ['ETag'],
                MaxAgeSeconds: 3600,
              },
            ],
          },
        }),
      );
    } catch (error) {
      const name = error instanceof S3ServiceException ? error.name : undefined;
      this.#logger?.warn(
        { error: name ?? String(error) },
        'could not set the videos-raw CORS rule; browser uploads need PUT allowed and the ETag header exposed',
      );
    }
  }

  /**
   * A body of unknown length: one PutObject if it fits in a part, otherwise a multipart upload
   * with fixed-size parts, so memory stays at about two parts whatever the size.
   */
  async #putStream(target: { Bucket: string; Key: string }, body: Readable, contentType: string | undefined) {
    const chunks = fixedSizeChunks(body, this.#streamPartBytes);
    const first = await chunks.next();
    const second = first.done ? first : await chunks.next();
    if (first.done || second.done) {
      const whole = first.done ? Buffer.alloc(0) : first.value;
      await this.#client.send(new PutObjectCommand({ ...target, Body: whole, ContentType: contentType }));
      return;
    }
    const created = await this.#client.send(new CreateMultipartUploadCommand({ ...target, ContentType: contentType }));
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    try {
      const parts: CompletedPart[] = [];
      const uploadPart = async (chunk: Buffer) => {
        const PartNumber = parts.length + 1;
        const output = await this.#client.send(
          new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: chunk }),
        );
        parts.push({ PartNumber, ETag: output.ETag });
      };
      await uploadPart(first.value);
      await uploadPart(second.value);
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) await uploadPart(next.value);
      await this.#client.send(
        new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      // Best effort; where abort is unsupported the lifecycle rule removes the parts.
      await this.#client
        .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  #warnAbortUnsupported(errorName: string): void {
    if (this.#warnedAbortUnsupported) return;
    this.#warnedAbortUnsupported = true;
    this.#logger?.warn(
      { error: errorName },
      'this S3 server does not support AbortMultipartUpload; aborted uploads keep their parts until a lifecycle rule removes them',
    );
  }
}

function clientConfig(config: S3StorageConfig): S3ClientConfig {
  const { accessKeyId, secretAccessKey } = config;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (or both left unset)');
  }
  return {
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // Unset: the SDK's default chain (environment, instance or task role, ...).
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    // Newer SDKs add CRC32 checksums to every request by default; presigned URLs then demand a
    // checksum the browser cannot send, and several S3-compatible servers reject the headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
}

function asCompletionError(error: unknown): StorageError | undefined {
  if (!(error instanceof S3ServiceException)) return undefined;
  const code = COMPLETION_ERRORS[error.name];
  return code ? new StorageError(code, error.message, { s3Error: error.name }) : undefined;
}

/** Re-chunks a stream into buffers of exactly `size` bytes (the last one may be shorter). */
async function* fixedSizeChunks(source: Readable, size: number): AsyncGenerator<Buffer, void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    while (pendingBytes + bytes.length >= size) {
      const take = size - pendingBytes;
      pending.push(bytes.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      bytes = bytes.subarray(take);
    }
    if (bytes.length > 0) {
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

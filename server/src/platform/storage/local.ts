import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { constants, createReadStream, createWriteStream, type Stats } from 'node:fs';
import {
  access,
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BUCKETS } from '../../config.js';
import { StorageError } from './errors.js';
import {
  buildSignedUrl,
  expiryFromNow,
  UrlSigner,
  type SignedMethod,
  type SignedParamName,
  type VerifyResult,
} from './local-signing.js';
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
  quoteEtag,
  resolveListLimit,
} from './validation.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's ceiling for a single PUT and for one part. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * GiB;
/** S3's floor for every part but the last; enforced here so a client that works locally works on S3. */
export const DEFAULT_MIN_PART_BYTES = 5 * MiB;
/** Temp files this old belong to a write that crashed; younger ones may still be in flight. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
/** Bucket names never start with '.', so this folder cannot collide with a bucket. */
const INTERNAL_DIR = '.lectio';
/**
 * Archived objects: `cold/<bucket>/<key>`. Not a bucket name, so no collision; an operator may
 * mount a cheaper disk here (archiving then copies across filesystems instead of renaming).
 */
const COLD_DIR = 'cold';
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^part-(\d{5})-([0-9a-f]{32})$/;
const MD5_HEX = /^[0-9a-f]{32}$/;
/** Bounds open file handles while describing a page of objects. */
const DESCRIBE_CONCURRENCY = 16;

export interface LocalStorageOptions {
  /** Root directory; one sub-folder per bucket, plus `.lectio/` for metadata, uploads and temp files. */
  root: string;
  /** Origin (and optional path) the signed URLs point at; the app serves them with localStorageRoutes. */
  publicUrl: string;
  /** Secret the URL signatures derive from (at least 16 characters). */
  signingSecret: string;
  maxUploadBytes?: number;
  minPartBytes?: number;
}

export interface WriteResult {
  /** Quoted, like S3's ETag header. */
  etag: string;
  size: number;
}

/** An object opened for reading: `info` and the bytes describe the same version of the file. */
export interface OpenedObject {
  info: ObjectInfo;
  /** Streams the object (or the inclusive byte range) and closes the file when done. */
  read(range?: { start: number; end: number }): Readable;
  /** Releases the file when read() is not called. */
  close(): Promise<void>;
}

/**
 * Sidecar metadata. The fingerprint (inode, size, mtime, all kept by rename) ties it to one version
 * of the object file: the sidecar and the object are published by two renames, and a crash between
 * them must not pair an object with another version's content type or ETag.
 */
interface ObjectMetadata {
  version: 1;
  etag: string;
  contentType?: string;
  fingerprint: string;
}

interface UploadManifest {
  version: 1;
  key: string;
  contentType?: string;
  createdAt: string;
}

interface TempFile {
  path: string;
  md5: string;
  size: number;
}

/**
 * StoragePort on the local filesystem, for the embedded single-machine setup. Every object becomes
 * visible through one rename of a fully written (and fsynced) temp file on the same filesystem, so
 * readers and crashes only ever see a complete old or a complete new version.
 */
export class LocalStorage implements StoragePort {
  readonly backend = 'local' as const;
  readonly maxUploadBytes: number;
  readonly #root: string;
  readonly #publicUrl: string;
  readonly #signer: UrlSigner;
  readonly #minPartBytes: number;

  constructor(options: LocalStorageOptions) {
    this.#root = path.resolve(options.root);
    this.#publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.#signer = new UrlSigner(options.signingSecret);
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.#minPartBytes = options.minPartBytes ?? DEFAULT_MIN_PART_BYTES;
  }

  async ensureBuckets(): Promise<void> {
    for (const bucket of BUCKETS) {
      await mkdir(this.#bucketDir(bucket), { recursive: true });
    }
    await mkdir(this.#tempDir(), { recursive: true });
    await this.#sweepStaleTempFiles();
  }

  async presignPut(
    bucket: BucketName,
    key: string,
    options: PresignOptions & { contentType?: string },
  ): Promise<string> {
    assertContentType(options.contentType);
    return this.#presign('PUT', bucket, key, options.expiresInSeconds, { contentType: options.contentType });
  }

  async presignGet(
    bucket: BucketName,
    key: string,
    options: PresignOptions & { downloadName?: string },
  ): Promise<string> {
    assertDownloadName(options.downloadName);
    return this.#presign('GET', bucket, key, options.expiresInSeconds, { downloadName: options.downloadName });
  }

  async putObject(
    bucket: BucketName,
    key: string,
    body: Buffer | Readable,
    options: { contentType?: string } = {},
  ): Promise<void> {
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    await this.storeObject(bucket, key, source, { contentType: options.contentType, maxBytes: Infinity });
  }

  async getObject(bucket: BucketName, key: string): Promise<Readable> {
    const opened = await this.openObject(bucket, key);
    if (!opened) {
      throw new StorageError('not_found', `No object ${JSON.stringify(key)} in bucket ${bucket}`, { bucket, key });
    }
    return opened.read();
  }

  async headObject(bucket: BucketName, key: string): Promise<ObjectInfo | undefined> {
    const opened = await this.openObject(bucket, key);
    if (!opened) return undefined;
    await opened.close();
    return opened.info;
  }

  async deleteObject(bucket: BucketName, key: string): Promise<void> {
    assertBucket(bucket);
    assertValidKey(key);
    const objectPath = this.#objectPath(bucket, key);
    const coldPath = this.#coldObjectPath(bucket, key);
    const metadataPath = this.#metadataPath(bucket, key);
    await unlinkIfFile(objectPath);
    await unlinkIfFile(coldPath);
    await unlinkIfFile(metadataPath);
    await pruneEmptyDirectories(path.dirname(objectPath), this.#bucketDir(bucket));
    await pruneEmptyDirectories(path.dirname(coldPath), this.#coldBucketDir(bucket));
    await pruneEmptyDirectories(path.dirname(metadataPath), this.#metadataDir(bucket));
  }

  /**
   * Walks only the directory the prefix points into. Keys are sorted by UTF-8 bytes, S3's order,
   * which a directory walk alone would not give ('a-b' sorts before 'a/b'). contentType is always
   * undefined, as ListObjectsV2 cannot return it, so no caller comes to rely on it locally.
   */
  async list(
    bucket: BucketName,
    prefix: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ objects: ObjectInfo[]; cursor: string | undefined }> {
    assertBucket(bucket);
    assertValidPrefix(prefix);
    const limit = resolveListLimit(options.limit);
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, 'base64url');
    const keys = [...new Set(await this.#collectKeys(bucket, prefix))]
      // Files dropped into the folder by hand may not be valid keys; they are not objects.
      .filter(isValidKey)
      .map((key) => ({ key, bytes: Buffer.from(key) }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .filter((entry) => after === undefined || Buffer.compare(entry.bytes, after) > 0);
    const page = keys.slice(0, limit);
    const described = await mapInBatches(page, DESCRIBE_CONCURRENCY, (entry) => this.headObject(bucket, entry.key));
    const objects = described.flatMap((info) => (info ? [{ ...info, contentType: undefined }] : []));
    const last = page.at(-1);
    return { objects, cursor: keys.length > limit && last ? last.bytes.toString('base64url') : undefined };
  }

  async createMultipartUpload(
    bucket: BucketName,
    key: string,
    options: { contentType?: string } = {},
  ): Promise<string> {
    assertBucket(bucket);
    assertValidKey(key);
    assertContentType(options.contentType);
    const uploadId = randomBytes(16).toString('hex');
    const manifest: UploadManifest = {
      version: 1,
      key,
      contentType: options.contentType,
      createdAt: new Date().toISOString(),
    };
    await mkdir(this.#uploadDir(bucket, uploadId), { recursive: true });
    await this.#writeFileAtomically(path.join(this.#uploadDir(bucket, uploadId), 'manifest.json'), manifest, key);
    return uploadId;
  }

  async presignUploadPart(
    bucket: BucketName,
    key: string,
    uploadId: string,
    partNumber: number,
    options: PresignOptions,
  ): Promise<string> {
    assertPartNumber(partNumber);
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(bucket, key, uploadId);
    return this.#presign('PUT', bucket, key, options.expiresInSeconds, {
      uploadId,
      partNumber: String(partNumber),
    });
  }

  /** Parts are stored on disk already; this only checks the client's report against them. */
  async recordUploadedPart(bucket: BucketName, key: string, uploadId: string, part: UploadedPart): Promise<void> {
    assertPartNumber(part.partNumber);
    await this.#requireUpload(bucket, key, uploadId);
    const stats = await this.#statPart(bucket, uploadId, part);
    if (stats.size !== part.size) {
      throw new StorageError('invalid_part', `Part ${part.partNumber} is ${stats.size} bytes, not ${part.size}`, {
        partNumber: part.partNumber,
        size: stats.size,
      });
    }
  }

  async listParts(bucket: BucketName, key: string, uploadId: string): Promise<UploadedPart[]> {
    assertBucket(bucket);
    assertValidKey(key);
    const manifest = await this.#readManifest(bucket, uploadId);
    // Unknown or finished uploads have no parts: a resuming client then simply starts over.
    if (!manifest || manifest.key !== key) return [];
    return this.#readStoredParts(this.#uploadDir(bucket, uploadId));
  }

  async completeMultipartUpload(
    bucket: BucketName,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    assertCompletableParts(parts);
    const manifest = await this.#requireUpload(bucket, key, uploadId);
    const files: string[] = [];
    for (const [index, part] of parts.entries()) {
      const stats = await this.#statPart(bucket, uploadId, part);
      const isLast = index === parts.length - 1;
      if (!isLast && stats.size < this.#minPartBytes) {
        throw new StorageError(
          'entity_too_small',
          `Part ${part.partNumber} is ${stats.size} bytes; every part but the last needs at least ${this.#minPartBytes}`,
          { partNumber: part.partNumber, size: stats.size, minimum: this.#minPartBytes },
        );
      }
      files.push(this.#partPath(bucket, uploadId, part.partNumber, bareMd5(part.etag)));
    }
    const temp = await this.#writeTemp(Readable.from(concatenateFiles(files)), Infinity);
    try {
      const etag = multipartEtag(parts.map((part) => bareMd5(part.etag)));
      await this.#publish(bucket, key, temp.path, { etag, contentType: manifest.contentType });
    } finally {
      await rm(temp.path, { force: true });
    }
    await rm(this.#uploadDir(bucket, uploadId), { recursive: true, force: true });
  }

  /** Idempotent, like a second abort on S3 that the ledger tolerates. */
  async abortMultipartUpload(bucket: BucketName, key: string, uploadId: string): Promise<void> {
    assertBucket(bucket);
    assertValidKey(key);
    const manifest = await this.#readManifest(bucket, uploadId);
    if (!manifest || manifest.key !== key) return;
    await rm(this.#uploadDir(bucket, uploadId), { recursive: true, force: true });
  }

  /**
   * Moves the file into the cold tree by one rename, so a reader sees it in one place or the other,
   * never in neither (reads fall back to the cold tree). The sidecar stays where it is: a rename
   * keeps the fingerprint that ties it to the file.
   */
  async archiveObject(bucket: BucketName, key: string): Promise<'archived' | 'unsupported'> {
    assertBucket(bucket);
    assertValidKey(key);
    const hotPath = this.#objectPath(bucket, key);
    const coldPath = this.#coldObjectPath(bucket, key);
    const hot = await stat(hotPath).catch((error: unknown) => {
      if (isMissingPath(error)) return undefined;
      throw error;
    });
    if (!hot?.isFile()) {
      const cold = await stat(coldPath).catch(() => undefined);
      if (cold?.isFile()) return 'archived';
      throw new StorageError('not_found', `No object ${JSON.stringify(key)} in bucket ${bucket}`, { bucket, key });
    }
    await mkdir(path.dirname(coldPath), { recursive: true });
    try {
      await rename(hotPath, coldPath);
    } catch (error) {
      if (errorCode(error) !== 'EXDEV') throw error;
      await this.#copyToColdFilesystem(bucket, key, hotPath, coldPath);
    }
    await pruneEmptyDirectories(path.dirname(hotPath), this.#bucketDir(bucket));
    return 'archived';
  }

  async ping(): Promise<void> {
    await access(this.#root, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  // ---- Used by localStorageRoutes (not part of StoragePort) ----

  /** Checks a request against its signed URL; HEAD requests are checked as the GET they mirror. */
  verifySignedRequest(request: {
    method: SignedMethod;
    bucket: string;
    key: string;
    query: URLSearchParams;
  }): VerifyResult {
    return this.#signer.verify(request);
  }

  /** Streams a body into a new version of the object; refuses bodies over maxBytes. */
  async storeObject(
    bucket: BucketName,
    key: string,
    body: Readable,
    options: { contentType: string | undefined; maxBytes: number },
  ): Promise<WriteResult> {
    assertBucket(bucket);
    assertValidKey(key);
    assertContentType(options.contentType);
    const temp = await this.#writeTemp(body, options.maxBytes);
    try {
      const etag = quoteEtag(temp.md5);
      await this.#publish(bucket, key, temp.path, { etag, contentType: options.contentType });
      return { etag, size: temp.size };
    } finally {
      await rm(temp.path, { force: true });
    }
  }

  /** Streams one part of a multipart upload to disk; a re-sent part replaces the earlier one. */
  async storePart(
    bucket: BucketName,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { maxBytes: number },
  ): Promise<WriteResult> {
    assertPartNumber(partNumber);
    await this.#requireUpload(bucket, key, uploadId);
    const temp = await this.#writeTemp(body, options.maxBytes);
    try {
      const target = this.#partPath(bucket, uploadId, partNumber, temp.md5);
      await rename(temp.path, target).catch((error: unknown) => {
        // The upload folder vanished mid-write: it was completed or aborted meanwhile.
        throw isMissingPath(error) ? noSuchUpload(bucket, key, uploadId) : error;
      });
      await this.#removeOtherVersionsOfPart(bucket, uploadId, partNumber, path.basename(target));
      return { etag: quoteEtag(temp.md5), size: temp.size };
    } finally {
      await rm(temp.path, { force: true });
    }
  }

  /** Opens the object once so the headers and the bytes sent belong to the same version. */
  async openObject(bucket: BucketName, key: string): Promise<OpenedObject | undefined> {
    assertBucket(bucket);
    assertValidKey(key);
    // Hot first: after an overwrite of an archived object the hot file is the newer version.
    const handle =
      (await openIfExists(this.#objectPath(bucket, key))) ?? (await openIfExists(this.#coldObjectPath(bucket, key)));
    if (!handle) return undefined;
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        await handle.close();
        return undefined;
      }
      const info = await this.#describe(bucket, key, handle, stats);
      return openedObject(handle, info);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  // ---- Paths ----

  #bucketDir(bucket: BucketName): string {
    return path.join(this.#root, bucket);
  }

  #objectPath(bucket: BucketName, key: string): string {
    return path.join(this.#bucketDir(bucket), ...key.split('/'));
  }

  #coldBucketDir(bucket: BucketName): string {
    return path.join(this.#root, COLD_DIR, bucket);
  }

  #coldObjectPath(bucket: BucketName, key: string): string {
    return path.join(this.#coldBucketDir(bucket), ...key.split('/'));
  }

  /** A tree mirroring the bucket's, so metadata paths conflict exactly when object paths do. */
  #metadataDir(bucket: BucketName): string {
    return path.join(this.#root, INTERNAL_DIR, 'metadata', bucket);
  }

  #metadataPath(bucket: BucketName, key: string): string {
    return path.join(this.#metadataDir(bucket), ...key.split('/'));
  }

  #tempDir(): string {
    return path.join(this.#root, INTERNAL_DIR, 'tmp');
  }

  #uploadDir(bucket: BucketName, uploadId: string): string {
    return path.join(this.#root, INTERNAL_DIR, 'uploads', bucket, uploadId);
  }

  #partPath(bucket: BucketName, uploadId: string, partNumber: number, md5: string): string {
    return path.join(this.#uploadDir(bucket, uploadId), `part-${String(partNumber).padStart(5, '0')}-${md5}`);
  }

  // ---- Writing ----

  /** Streams into a fresh temp file, hashing and counting; fsynced so the rename publishes real bytes. */
  async #writeTemp(body: Readable, maxBytes: number): Promise<TempFile> {
    await mkdir(this.#tempDir(), { recursive: true });
    const tempPath = path.join(this.#tempDir(), `${randomUUID()}.tmp`);
    const meter = new HashingMeter(maxBytes);
    try {
      // flush: fsync before close, so no crash can publish a name whose bytes never reached the disk.
      await pipeline(body, meter, createWriteStream(tempPath, { flags: 'wx', flush: true }));
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    return { path: tempPath, md5: meter.md5(), size: meter.size };
  }

  /** Sidecar first, then the object: a crash in between leaves a sidecar whose fingerprint fits nothing. */
  async #publish(
    bucket: BucketName,
    key: string,
    tempPath: string,
    metadata: { etag: string; contentType: string | undefined },
  ): Promise<void> {
    const stats = await stat(tempPath);
    const sidecar: ObjectMetadata = { version: 1, ...metadata, fingerprint: fingerprintOf(stats) };
    await this.#writeFileAtomically(this.#metadataPath(bucket, key), sidecar, key);
    await renameIntoPlace(tempPath, this.#objectPath(bucket, key), key);
    await this.#dropOlderColdCopy(bucket, key, stats.ino);
  }

  /**
   * An overwritten archived object leaves its old version in the cold tree, which a later delete of
   * the hot file would otherwise bring back. The inode check spares the version just published,
   * should a concurrent archive have moved it there already.
   */
  async #dropOlderColdCopy(bucket: BucketName, key: string, publishedInode: number): Promise<void> {
    const coldPath = this.#coldObjectPath(bucket, key);
    const cold = await stat(coldPath).catch(() => undefined);
    if (!cold?.isFile() || cold.ino === publishedInode) return;
    await unlinkIfFile(coldPath);
    await pruneEmptyDirectories(path.dirname(coldPath), this.#coldBucketDir(bucket));
  }

  /** rename cannot cross filesystems: copy (fsynced) next to the target, rename, then re-pair the sidecar. */
  async #copyToColdFilesystem(bucket: BucketName, key: string, hotPath: string, coldPath: string): Promise<void> {
    // Inside the cold tree (same filesystem as the target) but outside every bucket folder, so a
    // listing never shows a half-copied file.
    const tempDir = path.join(this.#root, COLD_DIR, '.tmp');
    await mkdir(tempDir, { recursive: true });
    const tempPath = path.join(tempDir, `${randomUUID()}.tmp`);
    try {
      await copyFile(hotPath, tempPath);
      const handle = await open(tempPath, 'r+');
      await handle.sync().finally(() => handle.close());
      const sidecar = await this.#readSidecar(bucket, key);
      if (sidecar) {
        const copied = await stat(tempPath);
        await this.#writeFileAtomically(
          this.#metadataPath(bucket, key),
          { ...sidecar, fingerprint: fingerprintOf(copied) },
          key,
        );
      }
      await rename(tempPath, coldPath);
    } finally {
      await rm(tempPath, { force: true });
    }
    await unlinkIfFile(hotPath);
  }

  async #writeFileAtomically(target: string, content: object, key: string): Promise<void> {
    await mkdir(this.#tempDir(), { recursive: true });
    const tempPath = path.join(this.#tempDir(), `${randomUUID()}.tmp`);
    try {
      // No fsync: a torn sidecar fails to parse or to match its fingerprint, and is then ignored.
      const handle = await open(tempPath, 'wx');
      await handle.writeFile(JSON.stringify(content)).finally(() => handle.close());
      await renameIntoPlace(tempPath, target, key);
    } finally {
      await rm(tempPath, { force: true });
    }
  }

  async #sweepStaleTempFiles(): Promise<void> {
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.#tempDir())) {
      const tempPath = path.join(this.#tempDir(), name);
      const stats = await stat(tempPath).catch(() => undefined);
      if (stats && stats.mtimeMs < cutoff) await rm(tempPath, { force: true, recursive: true });
    }
  }

  // ---- Reading ----

  async #describe(bucket: BucketName, key: string, handle: FileHandle, stats: Stats): Promise<ObjectInfo> {
    const sidecar = await this.#readSidecar(bucket, key);
    const fresh = sidecar?.fingerprint === fingerprintOf(stats) ? sidecar : undefined;
    return {
      key,
      size: stats.size,
      // Only after a crash between the two renames: recompute rather than trust a stale sidecar.
      etag: fresh?.etag ?? quoteEtag(await md5OfHandle(handle, stats.size)),
      contentType: fresh?.contentType,
      lastModified: stats.mtime,
    };
  }

  async #readSidecar(bucket: BucketName, key: string): Promise<ObjectMetadata | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.#metadataPath(bucket, key), 'utf8'));
      return isObjectMetadata(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async #collectKeys(bucket: BucketName, prefix: string): Promise<string[]> {
    const lastSlash = prefix.lastIndexOf('/');
    const directoryPart = prefix.slice(0, lastSlash + 1);
    const namePart = prefix.slice(lastSlash + 1);
    const startDir = path.join(this.#bucketDir(bucket), ...directoryPart.split('/').filter(Boolean));
    const keys: string[] = [];
    await collectFiles(startDir, directoryPart, namePart, keys);
    // Archived objects are still objects of the bucket; a key briefly in both trees is listed once.
    const coldStartDir = path.join(this.#coldBucketDir(bucket), ...directoryPart.split('/').filter(Boolean));
    await collectFiles(coldStartDir, directoryPart, namePart, keys);
    return keys;
  }

  // ---- Multipart ----

  async #readManifest(bucket: BucketName, uploadId: string): Promise<UploadManifest | undefined> {
    assertBucket(bucket);
    // The id becomes a folder name: anything but our own hex ids is refused before touching disk.
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    try {
      const parsed: unknown = JSON.parse(
        await readFile(path.join(this.#uploadDir(bucket, uploadId), 'manifest.json'), 'utf8'),
      );
      return isUploadManifest(parsed) ? parsed : undefined;
    } catch (error) {
      if (isMissingPath(error)) return undefined;
      throw error;
    }
  }

  async #requireUpload(bucket: BucketName, key: string, uploadId: string): Promise<UploadManifest> {
    assertValidKey(key);
    const manifest = await this.#readManifest(bucket, uploadId);
    if (!manifest || manifest.key !== key) throw noSuchUpload(bucket, key, uploadId);
    return manifest;
  }

  async #statPart(bucket: BucketName, uploadId: string, part: { partNumber: number; etag: string }): Promise<Stats> {
    const md5 = bareMd5(part.etag);
    const stats = await stat(this.#partPath(bucket, uploadId, part.partNumber, md5)).catch((error: unknown) => {
      if (isMissingPath(error)) return undefined;
      throw error;
    });
    if (!stats) {
      throw new StorageError(
        'invalid_part',
        `Part ${part.partNumber} with ETag ${part.etag} was not uploaded (or was replaced by another upload of that part)`,
        { partNumber: part.partNumber, etag: part.etag },
      );
    }
    return stats;
  }

  async #readStoredParts(uploadDir: string): Promise<UploadedPart[]> {
    const newest = new Map<number, UploadedPart & { mtimeMs: number }>();
    for (const name of await readdir(uploadDir).catch(() => [])) {
      const match = PART_FILE.exec(name);
      if (!match?.[1] || !match[2]) continue;
      const stats = await stat(path.join(uploadDir, name)).catch(() => undefined);
      if (!stats) continue;
      const partNumber = Number(match[1]);
      const existing = newest.get(partNumber);
      // Two versions exist only for an instant while a re-sent part replaces the old one.
      if (!existing || stats.mtimeMs > existing.mtimeMs) {
        newest.set(partNumber, { partNumber, etag: quoteEtag(match[2]), size: stats.size, mtimeMs: stats.mtimeMs });
      }
    }
    return [...newest.values()]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map(({ partNumber, etag, size }) => ({ partNumber, etag, size }));
  }

  async #removeOtherVersionsOfPart(
    bucket: BucketName,
    uploadId: string,
    partNumber: number,
    keep: string,
  ): Promise<void> {
    const uploadDir = this.#uploadDir(bucket, uploadId);
    const prefix = `part-${String(partNumber).padStart(5, '0')}-`;
    for (const name of await readdir(uploadDir).catch(() => [])) {
      if (name.startsWith(prefix) && name !== keep) await rm(path.join(uploadDir, name), { force: true });
    }
  }

  async #presign(
    method: SignedMethod,
    bucket: BucketName,
    key: string,
    expiresInSeconds: number,
    params: Partial<Record<SignedParamName, string | undefined>>,
  ): Promise<string> {
    assertBucket(bucket);
    assertValidKey(key);
    assertExpiry(expiresInSeconds);
    const definedParams: Partial<Record<SignedParamName, string>> = {};
    for (const [name, value] of Object.entries(params) as [SignedParamName, string | undefined][]) {
      if (value !== undefined) definedParams[name] = value;
    }
    const grant = { method, bucket, key, expires: expiryFromNow(expiresInSeconds), params: definedParams };
    return buildSignedUrl(this.#publicUrl, grant, this.#signer.sign(grant));
  }
}

/** Counts and MD5-hashes what flows through, failing once the body exceeds its limit. */
class HashingMeter extends Transform {
  size = 0;
  readonly #hash = createHash('md5');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
    this.size += bytes.length;
    if (this.size > this.maxBytes) {
      callback(
        new StorageError('entity_too_large', `The body exceeds the ${this.maxBytes}-byte limit`, {
          maxBytes: this.maxBytes,
        }),
      );
      return;
    }
    this.#hash.update(bytes);
    callback(null, bytes);
  }

  md5(): string {
    return this.#hash.digest('hex');
  }
}

function openedObject(handle: FileHandle, info: ObjectInfo): OpenedObject {
  let released = false;
  return {
    info,
    read(range) {
      released = true;
      return handle.createReadStream(range ? { start: range.start, end: range.end } : { start: 0 });
    },
    async close() {
      if (released) return;
      released = true;
      await handle.close();
    },
  };
}

/** Positional reads: the handle stays open (and unmoved) for the stream that may follow. */
async function md5OfHandle(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('md5');
  const buffer = Buffer.allocUnsafe(Math.min(MiB, Math.max(size, 1)));
  for (let position = 0; position < size;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

async function* concatenateFiles(files: string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    for await (const chunk of createReadStream(file, { highWaterMark: MiB })) yield chunk as Buffer;
  }
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then '-' and the part count. */
function multipartEtag(partMd5s: string[]): string {
  const hash = createHash('md5');
  for (const md5 of partMd5s) hash.update(Buffer.from(md5, 'hex'));
  return `"${hash.digest('hex')}-${partMd5s.length}"`;
}

/** A part ETag as the hex MD5 it must be; it names a file, so nothing else may pass. */
function bareMd5(etag: string): string {
  const md5 = etag.replace(/"/g, '').toLowerCase();
  if (!MD5_HEX.test(md5)) {
    throw new StorageError('invalid_part', `ETag ${JSON.stringify(etag)} is not a part ETag`, { etag });
  }
  return md5;
}

function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

function fingerprintOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

function noSuchUpload(bucket: string, key: string, uploadId: string): StorageError {
  return new StorageError(
    'no_such_upload',
    `No multipart upload ${JSON.stringify(uploadId)} for ${JSON.stringify(key)} in bucket ${bucket}`,
    { bucket, key, uploadId },
  );
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** ENOTDIR too: a path through a file ('a/b' when 'a' is an object) does not exist either. */
function isMissingPath(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Renames into place, creating parent folders. A concurrent delete may prune a parent between
 * mkdir and rename, hence the retries.
 */
async function renameIntoPlace(from: string, to: string, key: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(path.dirname(to), { recursive: true });
      await rename(from, to);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' && attempt < 4) continue;
      if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
        throw new StorageError(
          'invalid_key',
          `Key ${JSON.stringify(key)} conflicts with an existing key: the local store cannot hold both "x" and "x/..."`,
          { key },
        );
      }
      throw error;
    }
  }
}

async function openIfExists(target: string): Promise<FileHandle | undefined> {
  try {
    return await open(target, 'r');
  } catch (error) {
    if (isMissingPath(error)) return undefined;
    throw error;
  }
}

async function unlinkIfFile(target: string): Promise<void> {
  try {
    await unlink(target);
  } catch (error) {
    // EISDIR/EPERM: the key names a folder of other keys, which is not an object to delete.
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
    throw error;
  }
}

async function pruneEmptyDirectories(from: string, stopAt: string): Promise<void> {
  let dir = from;
  while (dir.startsWith(stopAt + path.sep)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or already gone): everything above is in use too
    }
    dir = path.dirname(dir);
  }
}

async function collectFiles(dir: string, keyPrefix: string, nameFilter: string, keys: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (isMissingPath(error)) return [];
    throw error;
  });
  for (const entry of entries) {
    if (!entry.name.startsWith(nameFilter)) continue;
    if (entry.isFile()) keys.push(keyPrefix + entry.name);
    else if (entry.isDirectory())
      await collectFiles(path.join(dir, entry.name), `${keyPrefix}${entry.name}/`, '', keys);
  }
}

async function mapInBatches<T, R>(items: T[], batchSize: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    results.push(...(await Promise.all(items.slice(start, start + batchSize).map(map))));
  }
  return results;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isObjectMetadata(value: unknown): value is ObjectMetadata {
  return (
    isRecord(value) &&
    value.version === 1 &&
    typeof value.etag === 'string' &&
    typeof value.fingerprint === 'string' &&
    (value.contentType === undefined || typeof value.contentType === 'string')
  );
}

function isUploadManifest(value: unknown): value is UploadManifest {
  return (
    isRecord(value) &&
    value.version === 1 &&
    typeof value.key === 'string' &&
    (value.contentType === undefined || typeof value.contentType === 'string')
  );
}

import { BUCKETS, type BucketName } from '../../config.js';
import { StorageError } from './errors.js';

/**
 * Rules shared by both adapters. A key the local store accepts but S3 refuses (or the reverse)
 * would only show up in production, so both check the same things up front.
 */

export const MAX_KEY_BYTES = 1024;
/** Most filesystems cap one path component at 255 bytes; the local store maps segments to names. */
const MAX_SEGMENT_BYTES = 255;
/** S3's limit for presigned URLs (SigV4): one week. */
export const MAX_PRESIGN_SECONDS = 604_800;
export const MAX_PART_NUMBER = 10_000;
export const MAX_LIST_LIMIT = 1000;

// C0 controls and DEL: NUL breaks filesystem calls, newlines break logs and XML listings.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// In a `u` regex a surrogate range only matches unpaired halves, which UTF-8 cannot encode.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function invalidKey(key: string, reason: string): StorageError {
  return new StorageError('invalid_key', `Invalid storage key ${JSON.stringify(key)}: ${reason}`, { key, reason });
}

function checkCharacters(value: string, label: string): string | undefined {
  if (value.includes('\u0000')) return `${label} contains a NUL character`;
  if (CONTROL_CHARACTERS.test(value)) return `${label} contains a control character`;
  if (LONE_SURROGATE.test(value)) return `${label} is not well-formed Unicode`;
  // A backslash is a path separator on Windows; refusing it keeps keys portable.
  if (value.includes('\\')) return `${label} contains a backslash`;
  return undefined;
}

function checkSegment(segment: string): string | undefined {
  if (segment === '') return 'it has an empty path segment (leading, trailing or double "/")';
  if (segment === '.' || segment === '..') return `it has a "${segment}" path segment`;
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return `a path segment exceeds ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/** Throws StorageError('invalid_key') unless `key` is a relative, '/'-separated object key. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw invalidKey(String(key), 'it is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalidKey(key, `it exceeds ${MAX_KEY_BYTES} bytes`);
  const characterProblem = checkCharacters(key, 'it');
  if (characterProblem) throw invalidKey(key, characterProblem);
  if (key.startsWith('/')) throw invalidKey(key, 'it is absolute (starts with "/")');
  for (const segment of key.split('/')) {
    const problem = checkSegment(segment);
    if (problem) throw invalidKey(key, problem);
  }
}

/**
 * A list prefix: '' or the start of a key. Every complete segment (followed by '/') obeys the key
 * rules; the last, partial segment may be anything a segment could start with.
 */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalidKey(String(prefix), 'the prefix is not a string');
  if (prefix === '') return;
  if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) throw invalidKey(prefix, `it exceeds ${MAX_KEY_BYTES} bytes`);
  const characterProblem = checkCharacters(prefix, 'the prefix');
  if (characterProblem) throw invalidKey(prefix, characterProblem);
  if (prefix.startsWith('/')) throw invalidKey(prefix, 'the prefix is absolute (starts with "/")');
  const completeSegments = prefix.split('/').slice(0, -1);
  for (const segment of completeSegments) {
    const problem = checkSegment(segment);
    if (problem) throw invalidKey(prefix, problem);
  }
}

export function isBucketName(value: string): value is BucketName {
  return (BUCKETS as readonly string[]).includes(value);
}

export function assertBucket(bucket: string): asserts bucket is BucketName {
  if (!isBucketName(bucket)) {
    throw new StorageError('invalid_argument', `Unknown bucket ${JSON.stringify(bucket)}`, { bucket });
  }
}

export function assertExpiry(expiresInSeconds: number): void {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw new StorageError(
      'invalid_argument',
      `expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS} (S3's presign limit)`,
      { expiresInSeconds },
    );
  }
}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new StorageError('invalid_argument', `partNumber must be an integer from 1 to ${MAX_PART_NUMBER}`, {
      partNumber,
    });
  }
}

export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new StorageError('invalid_argument', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, { limit });
  }
  return limit;
}

// A media type is a header value: visible ASCII (and spaces), so it cannot inject another header.
const CONTENT_TYPE = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

export function assertContentType(contentType: string | undefined): void {
  if (contentType !== undefined && !CONTENT_TYPE.test(contentType)) {
    throw new StorageError('invalid_argument', `Invalid content type ${JSON.stringify(contentType)}`, {
      contentType,
    });
  }
}

export function assertDownloadName(downloadName: string | undefined): void {
  if (downloadName === undefined) return;
  const problem =
    downloadName === '' || Buffer.byteLength(downloadName) > MAX_SEGMENT_BYTES
      ? `must be 1 to ${MAX_SEGMENT_BYTES} bytes`
      : CONTROL_CHARACTERS.test(downloadName) || LONE_SURROGATE.test(downloadName)
        ? 'contains a control character or malformed Unicode'
        : undefined;
  if (problem) {
    throw new StorageError('invalid_argument', `downloadName ${problem}`, { downloadName });
  }
}

/**
 * `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987), so
 * non-ASCII file names survive every browser.
 */
export function attachmentDisposition(downloadName: string): string {
  const asciiFallback = downloadName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(downloadName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encoded}`;
}

/** S3 compares ETags with or without their quotes; we always hand them out quoted. */
export function quoteEtag(etag: string): string {
  return `"${etag.replace(/"/g, '')}"`;
}

/** S3 refuses a completion whose parts are not in strictly ascending order; so do we, up front. */
export function assertCompletableParts(parts: { partNumber: number; etag: string }[]): void {
  if (parts.length === 0) {
    throw new StorageError('invalid_part', 'A multipart upload needs at least one part to complete');
  }
  let previous = 0;
  for (const part of parts) {
    assertPartNumber(part.partNumber);
    if (part.partNumber <= previous) {
      throw new StorageError('invalid_part_order', 'Parts must be listed in strictly ascending partNumber order', {
        partNumber: part.partNumber,
        after: previous,
      });
    }
    previous = part.partNumber;
  }
}

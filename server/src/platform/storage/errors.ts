/**
 * Errors both storage adapters throw for the same mistakes, so callers (and the HTTP layer) can
 * react to a code instead of to one backend's wording.
 */
export type StorageErrorCode =
  /** The key (or prefix) cannot be stored: '..' segment, absolute, NUL, too long, ... */
  | 'invalid_key'
  /** Another option is out of range: expiry, part number, content type, page size, ... */
  | 'invalid_argument'
  /** The object does not exist (getObject). */
  | 'not_found'
  /** The multipart upload does not exist, was completed or aborted, or belongs to another key. */
  | 'no_such_upload'
  /** A listed part is missing or its ETag does not match the stored part (S3's InvalidPart). */
  | 'invalid_part'
  /** Parts must be listed in strictly ascending partNumber order (S3's InvalidPartOrder). */
  | 'invalid_part_order'
  /** A part other than the last is smaller than the minimum part size (S3's EntityTooSmall). */
  | 'entity_too_small'
  /** The body is larger than the configured maximum. */
  | 'entity_too_large';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

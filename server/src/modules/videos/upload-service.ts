import { randomUUID } from 'node:crypto';
import { isStorageError } from '../../platform/storage/errors.js';
import type { StoragePort, UploadedPart } from '../../platform/storage/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import { expectedPartBytes, PART_URL_SECONDS, planParts, RAW_BUCKET, rawKeyOf, type VideoLimits } from './limits.js';
import type { TranscodeScheduler } from './ports.js';
import type { VideoRepository, VideoRow } from './repository.js';
import type { RecordPartInput, UploadInput } from './schemas.js';
import { toStudioVideo, type MediaUrlSigner, type StudioVideo, type UploadState } from './views.js';

export interface UploadLog {
  warn(details: object, message: string): void;
}

export const videoNotFound = () => new AppError(404, 'video_not_found', 'No such video.');

/** At most this many missing part numbers are listed in an error; the client re-lists anyway. */
const MISSING_PARTS_LISTED = 1000;

/**
 * Resumable direct uploads. The bytes go from the browser straight to storage through presigned
 * part URLs (in S3 mode they never pass through the API); the API hands out the URLs, keeps the
 * ledger of stored parts, enforces the instructor's limits and completes the object, then hands
 * the video to the transcode pipeline.
 */
export class VideoUploadService {
  /** Completions running in this process, so a double-clicked "complete" runs once. */
  readonly #completing = new Map<string, Promise<StudioVideo>>();

  constructor(
    private readonly repository: VideoRepository,
    private readonly storage: StoragePort,
    private readonly scheduler: TranscodeScheduler,
    private readonly limits: VideoLimits,
    /** Signs the preview URLs of a video that is already ready (a completion answered again). */
    private readonly signer: MediaUrlSigner,
    private readonly log?: UploadLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Starts an upload, or resumes the caller's open upload of the same file (same fingerprint):
   * `resumed` is then true and `upload.parts` lists what storage already holds.
   */
  async start(
    actor: Actor,
    input: UploadInput,
  ): Promise<{ resumed: boolean; video: StudioVideo; upload: UploadState }> {
    if (input.size > this.limits.maxUploadBytes) {
      throw new AppError(413, 'video_too_large', `A video may be at most ${this.limits.maxUploadBytes} bytes.`, {
        maxBytes: this.limits.maxUploadBytes,
      });
    }
    const ownerId = actor.userId;
    const videoId = randomUUID();
    const rawKey = rawKeyOf(ownerId, videoId);
    const plan = planParts(input.size);
    let createdUploadId: string | undefined;
    try {
      const outcome = await this.repository.transaction(async (tx) => {
        await this.repository.lockOwner(tx, ownerId);
        const open = await this.repository.openUpload(tx, ownerId, input.fingerprint);
        if (open) {
          if (open.sizeBytes !== input.size) {
            throw new AppError(409, 'upload_conflict', 'An open upload with this fingerprint has another size.', {
              videoId: open.id,
            });
          }
          return { resumed: true, row: open };
        }
        this.assertWithinLimits(await this.repository.usageOf(tx, ownerId), input.size);
        // Inside the transaction (a short call): the owner stays locked until the row exists.
        createdUploadId = await this.storage.createMultipartUpload(RAW_BUCKET, rawKey, {
          contentType: input.contentType,
        });
        const row = await this.repository.insert(tx, {
          id: videoId,
          ownerId,
          status: 'uploading',
          originalFilename: input.filename.normalize('NFC'),
          contentType: input.contentType ?? null,
          sizeBytes: input.size,
          fingerprint: input.fingerprint,
          rawKey,
          uploadId: createdUploadId,
          partSize: plan.partSize,
          partCount: plan.partCount,
        });
        return { resumed: false, row };
      });
      const parts = outcome.resumed ? await this.storedParts(openUpload(outcome.row)) : [];
      return {
        resumed: outcome.resumed,
        video: toStudioVideo(outcome.row, this.signer),
        upload: uploadState(outcome.row, parts),
      };
    } catch (error) {
      // The row was never written: the multipart upload it would have owned must not linger.
      if (createdUploadId) await this.abortQuietly(rawKey, createdUploadId);
      throw error;
    }
  }

  async uploadState(actor: Actor, videoId: string): Promise<UploadState> {
    const row = openUpload(await this.owned(actor, videoId));
    return uploadState(row, await this.storedParts(row));
  }

  /** Presigned PUT URLs, one per part number asked for (duplicates answered once). */
  async partUrls(
    actor: Actor,
    videoId: string,
    partNumbers: number[],
  ): Promise<{ urls: { partNumber: number; url: string; expiresAt: string }[] }> {
    const row = openUpload(await this.owned(actor, videoId));
    const wanted = [...new Set(partNumbers)].sort((a, b) => a - b);
    const outside = wanted.filter((n) => n > row.partCount);
    if (outside.length) {
      throw new AppError(400, 'invalid_part', `This upload has ${row.partCount} parts.`, {
        partCount: row.partCount,
        partNumbers: outside,
      });
    }
    const expiresAt = new Date(this.now().getTime() + PART_URL_SECONDS * 1000).toISOString();
    const urls = await Promise.all(
      wanted.map(async (partNumber) => ({
        partNumber,
        url: await this.storage.presignUploadPart(RAW_BUCKET, row.rawKey, row.uploadId, partNumber, {
          expiresInSeconds: PART_URL_SECONDS,
        }),
        expiresAt,
      })),
    );
    return { urls };
  }

  /** Records a part the browser stored (its ETag from the PUT response); the size must be the plan's. */
  async recordPart(actor: Actor, videoId: string, part: RecordPartInput): Promise<void> {
    const row = openUpload(await this.owned(actor, videoId));
    if (part.partNumber > row.partCount) {
      throw new AppError(400, 'invalid_part', `This upload has ${row.partCount} parts.`, {
        partCount: row.partCount,
        partNumber: part.partNumber,
      });
    }
    const expected = expectedPartBytes(row, part.partNumber);
    if (part.size !== expected) {
      throw new AppError(400, 'invalid_part', `Part ${part.partNumber} must be ${expected} bytes.`, {
        partNumber: part.partNumber,
        expectedSize: expected,
        size: part.size,
      });
    }
    try {
      await this.storage.recordUploadedPart(RAW_BUCKET, row.rawKey, row.uploadId, part);
    } catch (error) {
      if (isStorageError(error, 'invalid_part') || isStorageError(error, 'invalid_argument')) {
        throw new AppError(400, 'invalid_part', 'Storage does not hold this part as described.', {
          partNumber: part.partNumber,
        });
      }
      if (isStorageError(error, 'no_such_upload')) throw uploadNotOpen(row.status);
      throw error;
    }
  }

  /**
   * Joins the parts into the raw object, marks the video uploaded and schedules its transcode.
   * Completing a video that is already past uploading answers it as it is (a retried request, a
   * second tab); for one still `uploaded` the transcode is scheduled again, which the job's
   * dedupe key makes harmless and which repairs a schedule lost to a crash.
   */
  async complete(actor: Actor, videoId: string): Promise<StudioVideo> {
    const row = await this.owned(actor, videoId);
    const running = this.#completing.get(row.id);
    if (running) return running;
    const completion = this.completeOwned(row).finally(() => this.#completing.delete(row.id));
    this.#completing.set(row.id, completion);
    return completion;
  }

  /** Ends an open upload: storage drops the parts, the row stays `aborted` (no longer counted). */
  async abort(actor: Actor, videoId: string): Promise<void> {
    const row = await this.owned(actor, videoId);
    if (row.status === 'aborted') return;
    const open = openUpload(row);
    await this.storage.abortMultipartUpload(RAW_BUCKET, open.rawKey, open.uploadId);
    const aborted = await this.repository.transition(row.id, ['uploading'], { status: 'aborted', uploadId: null });
    if (!aborted) {
      // Completed meanwhile by another request: that one won.
      const current = await this.repository.byId(row.id);
      if (current && current.status !== 'aborted') throw uploadNotOpen(current.status);
    }
  }

  private async completeOwned(row: VideoRow): Promise<StudioVideo> {
    if (row.status === 'uploaded') {
      await this.scheduler.scheduleTranscode(row.id);
      return toStudioVideo(row, this.signer);
    }
    if (row.status !== 'uploading') {
      if (row.status === 'aborted') throw uploadNotOpen(row.status);
      return toStudioVideo(row, this.signer);
    }
    const open = openUpload(row);
    const parts = (await this.storedParts(open)).filter((p) => p.partNumber <= open.partCount);
    const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
    const missing: number[] = [];
    for (let n = 1; n <= open.partCount && missing.length < MISSING_PARTS_LISTED; n += 1) {
      if (!byNumber.has(n)) missing.push(n);
    }
    if (missing.length) {
      // Storage lists no parts of an upload it has already joined: another instance may have
      // completed it and not yet marked the video. The joined object tells the two apart.
      if (await this.storage.headObject(RAW_BUCKET, open.rawKey)) return this.completedElsewhere(open.id);
      throw new AppError(409, 'upload_incomplete', `${missing.length} part(s) are not stored yet.`, {
        missingParts: missing,
      });
    }
    const wrongSize = parts.filter((p) => p.size !== expectedPartBytes(open, p.partNumber)).map((p) => p.partNumber);
    const total = parts.reduce((sum, p) => sum + p.size, 0);
    if (wrongSize.length || total !== open.sizeBytes) {
      throw new AppError(422, 'upload_size_mismatch', 'The stored parts do not add up to the declared size.', {
        expectedBytes: open.sizeBytes,
        storedBytes: total,
        partNumbers: wrongSize,
      });
    }
    try {
      await this.storage.completeMultipartUpload(
        RAW_BUCKET,
        open.rawKey,
        open.uploadId,
        parts.sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      );
    } catch (error) {
      if (isStorageError(error, 'no_such_upload')) return this.completedElsewhere(open.id);
      if (isStorageError(error, 'invalid_part')) {
        throw new AppError(409, 'upload_incomplete', 'A recorded part is no longer in storage; send it again.', {
          missingParts: typeof error.details.partNumber === 'number' ? [error.details.partNumber] : [],
        });
      }
      if (isStorageError(error, 'entity_too_small')) {
        throw new AppError(422, 'upload_size_mismatch', error.message, error.details);
      }
      throw error;
    }
    const uploaded = await this.repository.transition(open.id, ['uploading'], {
      status: 'uploaded',
      uploadId: null,
      uploadedAt: this.now(),
    });
    if (!uploaded) return this.completedElsewhere(open.id);
    await this.scheduler.scheduleTranscode(uploaded.id);
    return toStudioVideo(uploaded, this.signer);
  }

  /** Another instance finished (or aborted) the upload between our read and our write. */
  private async completedElsewhere(videoId: string): Promise<StudioVideo> {
    const current = await this.repository.byId(videoId);
    if (!current) throw videoNotFound();
    if (current.status === 'uploading') {
      throw new AppError(409, 'upload_completing', 'The upload is being completed; try again in a moment.');
    }
    if (current.status === 'aborted') throw uploadNotOpen(current.status);
    return toStudioVideo(current, this.signer);
  }

  private assertWithinLimits(usage: { videos: number; openUploads: number; bytes: number }, size: number): void {
    const { maxVideosPerInstructor, maxOpenUploadsPerInstructor, quotaBytesPerInstructor } = this.limits;
    if (usage.videos >= maxVideosPerInstructor) {
      throw new AppError(422, 'video_limit_reached', `You can keep at most ${maxVideosPerInstructor} videos.`, {
        limit: 'videos',
        max: maxVideosPerInstructor,
      });
    }
    if (usage.openUploads >= maxOpenUploadsPerInstructor) {
      throw new AppError(
        422,
        'video_limit_reached',
        `Finish or cancel an upload first: at most ${maxOpenUploadsPerInstructor} may be open at once.`,
        { limit: 'open_uploads', max: maxOpenUploadsPerInstructor },
      );
    }
    if (usage.bytes + size > quotaBytesPerInstructor) {
      throw new AppError(422, 'video_quota_exceeded', 'This video does not fit in your storage quota.', {
        quotaBytes: quotaBytesPerInstructor,
        usedBytes: usage.bytes,
        sizeBytes: size,
      });
    }
  }

  private async storedParts(row: VideoRow & { uploadId: string }): Promise<UploadedPart[]> {
    const parts = await this.storage.listParts(RAW_BUCKET, row.rawKey, row.uploadId);
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** The caller's video (an admin reaches every one); to anyone else it does not exist. */
  private async owned(actor: Actor, videoId: string): Promise<VideoRow> {
    const row = await this.repository.byId(videoId);
    if (!row || !can(actor, 'video.manage', { ownerId: row.ownerId })) throw videoNotFound();
    return row;
  }

  private async abortQuietly(rawKey: string, uploadId: string): Promise<void> {
    await this.storage.abortMultipartUpload(RAW_BUCKET, rawKey, uploadId).catch((error: unknown) => {
      this.log?.warn({ err: error, rawKey }, 'could not abort an unused multipart upload');
    });
  }
}

function uploadNotOpen(status: string): AppError {
  return new AppError(409, 'upload_not_open', `The upload is over: the video is ${status}.`, { status });
}

/** The row of an upload still taking parts; 409 `upload_not_open` once it completed or was aborted. */
function openUpload(row: VideoRow): VideoRow & { uploadId: string } {
  if (row.status !== 'uploading' || row.uploadId === null) throw uploadNotOpen(row.status);
  return row as VideoRow & { uploadId: string };
}

function uploadState(row: VideoRow, parts: UploadedPart[]): UploadState {
  return {
    uploadId: row.uploadId ?? '',
    partSize: row.partSize,
    partCount: row.partCount,
    parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: p.size })),
  };
}

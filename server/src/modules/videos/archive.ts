import { isStorageError } from '../../platform/storage/errors.js';
import type { StoragePort } from '../../platform/storage/port.js';
import type { PipelineLogger } from './pipeline.js';
import type { VideoPipelineRepository } from './pipeline-repository.js';

const PAGE = 100;

/**
 * The raw lifecycle: a raw upload is read by its transcode and afterwards only kept to transcode
 * again, so past the cold age it moves to cheaper storage. On S3 the bucket's lifecycle rule moves
 * the objects (archiveObject answers 'unsupported') and this only records it on the rows.
 */
export class RawUploadArchiver {
  constructor(
    private readonly repository: VideoPipelineRepository,
    private readonly storage: StoragePort,
    private readonly logger: PipelineLogger,
  ) {}

  /** Returns how many rows are now marked cold. */
  async archiveUploadedBefore(cutoff: Date): Promise<number> {
    let archived = 0;
    let after: { uploadedAt: Date; id: string } | undefined;
    for (;;) {
      const page = await this.repository.rawUploadsToArchive(cutoff, after, PAGE);
      for (const upload of page) {
        try {
          await this.storage.archiveObject('videos-raw', upload.rawKey);
          await this.repository.markRawArchived(upload.id, new Date());
          archived++;
        } catch (error) {
          // One missing or unreadable object must not hold up the rest; tomorrow's run tries again.
          const level = isStorageError(error, 'not_found') ? 'warn' : 'error';
          this.logger[level]({ err: error, videoId: upload.id }, 'raw upload not archived');
        }
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      after = { uploadedAt: last.uploadedAt, id: last.id };
    }
    if (archived) this.logger.info({ archived, cutoff }, 'raw uploads moved to cold storage');
    return archived;
  }
}

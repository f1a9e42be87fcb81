import { createHash, randomUUID } from 'node:crypto';
import type { CachePort } from '../../platform/cache/port.js';
import { AppError } from '../app-error.js';

/** A view counts once per viewer per course in this window. */
export const VIEW_DEDUPE_SECONDS = 30 * 60;
/** Batch ids are kept this long; a crashed flush is retried within minutes, not weeks. */
const FLUSHED_BATCH_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** Longer than any flush takes; a crashed flusher's lock frees itself after this. */
const FLUSH_LOCK_SECONDS = 120;

// One hash of live counts (field = course id) so the flusher can take all of them with one rename.
const PENDING_KEY = 'views:pending';
const FLUSHING_KEY = 'views:flushing';
const FLUSHING_BATCH_KEY = 'views:flushing:batch';
const FLUSH_LOCK_KEY = 'views:flush-lock';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who is looking: a signed-in user, or a browser known by its anonymous cookie, or only its IP. */
export type Viewer =
  { kind: 'user'; userId: string } | { kind: 'anonymous'; anonymousId: string; ip: string; newlyIssued: boolean };

export interface ViewCountStore {
  isPublished(courseId: string): Promise<boolean>;
  applyBatch(batchId: string, counts: ReadonlyMap<string, number>): Promise<boolean>;
  pruneBatchesBefore(cutoff: Date): Promise<void>;
}

export interface ViewCounterLog {
  warn(details: object, message: string): void;
}

export interface FlushResult {
  /** Views added to courses.view_count by this run. */
  views: number;
  courses: number;
}

/**
 * Real-time view counting in the cache, flushed to the database by a low-priority job.
 *
 * The flush moves counts exactly once even if it crashes at any step: the live hash is renamed out
 * of the writers' way (new views go to a fresh hash), the taken batch gets an id, the database
 * records that id in the same transaction that adds the counts, and only then are the batch and its
 * id deleted together. A retry resumes the taken batch; if its id is already recorded it is dropped
 * instead of being added again.
 */
export class ViewCounterService {
  constructor(
    private readonly store: ViewCountStore,
    private readonly cache: CachePort,
    private readonly log?: ViewCounterLog,
    private readonly options: {
      dedupeSeconds?: number;
      now?: () => number;
      /** Told after views reached the database (the catalog's kept search answers rank by them). */
      ranks?: { viewCountsChanged(): Promise<void> };
    } = {},
  ) {}

  async recordView(courseId: string, viewer: Viewer): Promise<void> {
    if (!(await this.store.isPublished(courseId))) {
      throw new AppError(404, 'course_not_found', 'No published course with this id.');
    }
    try {
      const window = this.options.dedupeSeconds ?? VIEW_DEDUPE_SECONDS;
      const counted = await this.cache.setIfAbsent(seenKey(courseId, viewerKey(viewer)), 1, window);
      if (viewer.kind === 'anonymous' && viewer.newlyIssued) {
        // This request was deduplicated by IP; the browser's next request carries the new cookie,
        // and must find this view already counted for it.
        await this.cache.setIfAbsent(seenKey(courseId, anonymousKey(viewer.anonymousId)), 1, window);
      }
      if (counted) await this.cache.hashIncrement(PENDING_KEY, courseId, 1);
    } catch (error) {
      // A view is worth less than the page: with the cache down it is simply not counted.
      this.log?.warn({ err: error, courseId }, 'cache unavailable; view not counted');
    }
  }

  /** Moves every counted view into courses.view_count. Safe to run concurrently and to retry. */
  async flush(): Promise<FlushResult> {
    const lockToken = randomUUID();
    if (!(await this.cache.setIfAbsent(FLUSH_LOCK_KEY, lockToken, FLUSH_LOCK_SECONDS))) {
      return { views: 0, courses: 0 };
    }
    try {
      const result: FlushResult = { views: 0, courses: 0 };
      // A batch left by a crashed run is finished first; then the live counts are taken.
      for (let round = 0; round < 2; round++) {
        const batch = await this.takeBatch();
        if (!batch) break;
        const applied = await this.store.applyBatch(batch.id, batch.counts);
        await this.cache.delete(FLUSHING_KEY, FLUSHING_BATCH_KEY);
        if (applied) {
          result.courses += batch.counts.size;
          for (const n of batch.counts.values()) result.views += n;
        }
      }
      if (result.views > 0) await this.options.ranks?.viewCountsChanged();
      const now = this.options.now?.() ?? Date.now();
      await this.store.pruneBatchesBefore(new Date(now - FLUSHED_BATCH_RETENTION_MS));
      return result;
    } finally {
      if ((await this.cache.get<string>(FLUSH_LOCK_KEY)) === lockToken) await this.cache.delete(FLUSH_LOCK_KEY);
    }
  }

  /** The batch to flush: one left over from a crash, else the live counts; undefined when none. */
  private async takeBatch(): Promise<{ id: string; counts: Map<string, number> } | undefined> {
    await this.cache.renameIfAbsent(PENDING_KEY, FLUSHING_KEY);
    const raw = await this.cache.hashGetAll(FLUSHING_KEY);
    const counts = new Map<string, number>();
    for (const [courseId, value] of Object.entries(raw)) {
      const n = Number(value);
      // Anything else could only come from outside this service, and would fail the batch for ever.
      if (UUID.test(courseId) && Number.isSafeInteger(n) && n > 0) counts.set(courseId, n);
    }
    if (counts.size === 0) {
      await this.cache.delete(FLUSHING_KEY, FLUSHING_BATCH_KEY);
      return undefined;
    }
    // No TTL: the id must live exactly as long as the batch it names.
    await this.cache.setIfAbsent(FLUSHING_BATCH_KEY, randomUUID());
    const id = await this.cache.get<string>(FLUSHING_BATCH_KEY);
    if (!id) throw new Error('view-count batch id vanished while flushing');
    return { id, counts };
  }
}

function seenKey(courseId: string, viewer: string): string {
  return `views:seen:${courseId}:${viewer}`;
}

function anonymousKey(anonymousId: string): string {
  // Hashed so the cache never holds the cookie itself, which would let a reader replay it.
  return `a:${createHash('sha256').update(anonymousId).digest('base64url').slice(0, 32)}`;
}

function viewerKey(viewer: Viewer): string {
  if (viewer.kind === 'user') return `u:${viewer.userId}`;
  return viewer.newlyIssued ? `ip:${viewer.ip}` : anonymousKey(viewer.anonymousId);
}

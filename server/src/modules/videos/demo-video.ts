import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import type { StoragePort } from '../../platform/storage/port.js';
import { lessons } from '../catalog/schema.js';
import { generateDemoLecture } from './demo-lecture.js';
import type { TranscodeScheduler } from './ports.js';
import { videos } from './schema.js';

export interface DemoVideoDependencies {
  db: Db;
  storage: Pick<StoragePort, 'putObject'>;
  ffmpegPath: string;
  /** The real transcode job, so the demo runs the same pipeline as an instructor's upload. */
  scheduler: TranscodeScheduler;
}

/**
 * Gives every demo video lesson without a video a generated lecture, stored as an uploaded raw
 * video and handed to the pipeline. The lessons share one video: one transcode on first start, and
 * the studio's library lists one demo lecture. Returns the video ids scheduled. Only the seed calls
 * this: a demo lesson stays a "video is being prepared" lesson if ffmpeg is missing.
 */
export async function seedDemoVideos(instructorId: string, deps: DemoVideoDependencies): Promise<string[]> {
  const pending = await deps.db
    .select({ id: lessons.id })
    .from(lessons)
    .where(and(eq(lessons.type, 'video'), isNull(lessons.videoId)));
  if (pending.length === 0) return [];

  const scratch = await mkdtemp(path.join(tmpdir(), 'lectio-demo-video-'));
  try {
    const file = path.join(scratch, 'demo-lecture.mp4');
    await generateDemoLecture(file, { ffmpegPath: deps.ffmpegPath });
    const bytes = await readFile(file);
    const { size } = await stat(file);
    const videoId = randomUUID();
    const rawKey = `${instructorId}/${videoId}/source`;
    await deps.storage.putObject('videos-raw', rawKey, bytes, { contentType: 'video/mp4' });
    await deps.db.transaction(async (tx) => {
      await tx.insert(videos).values({
        id: videoId,
        ownerId: instructorId,
        status: 'uploaded',
        originalFilename: 'demo-lecture.mp4',
        contentType: 'video/mp4',
        sizeBytes: size,
        fingerprint: 'demo:lecture',
        rawKey,
        partSize: size,
        partCount: 1,
        uploadedAt: new Date(),
      });
      await tx
        .update(lessons)
        .set({ videoId })
        .where(
          inArray(
            lessons.id,
            pending.map((lesson) => lesson.id),
          ),
        );
    });
    await deps.scheduler.scheduleTranscode(videoId);
    return [videoId];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

import { randomBytes } from 'node:crypto';
import { courseSections, courses, lessonAttachments, lessons } from '../../src/modules/catalog/schema.js';
import { videos } from '../../src/modules/videos/schema.js';
import type { Db } from '../../src/platform/db/port.js';
import { ApiClient } from './accounts.js';
import type { TestServer } from './servers.js';

/**
 * Courses written straight into the database, for tests of what sits on top of the catalog
 * (enrollments, reviews, the authorization matrix): they need a course in a given state, not the
 * studio's path to it, which the studio's own tests cover.
 */
export interface FixtureCourse {
  id: string;
  slug: string;
  sectionId: string;
  previewLessonId: string;
  paidLessonId: string;
  attachmentId: string;
}

export async function insertCourse(
  db: Db,
  opts: {
    instructorId: string;
    title?: string;
    /** Minor units; 0 is free, null not set yet. */
    price?: number | null;
    status?: 'draft' | 'published' | 'archived';
    /** Anything else of the course row (a category, a cover, a takedown). */
    extra?: Partial<typeof courses.$inferInsert>;
  },
): Promise<FixtureCourse> {
  const suffix = randomBytes(4).toString('hex');
  const status = opts.status ?? 'published';
  const [course] = await db
    .insert(courses)
    .values({
      instructorId: opts.instructorId,
      slug: `fixture-${suffix}`,
      title: opts.title ?? `Fixture course ${suffix}`,
      priceAmount: opts.price === undefined ? 0 : opts.price,
      currency: 'KRW',
      status,
      publishedAt: status === 'published' ? new Date() : null,
      ...opts.extra,
    })
    .returning();
  const [section] = await db
    .insert(courseSections)
    .values({ courseId: course!.id, title: 'Getting started', position: 0 })
    .returning();
  const [preview, paid] = await db
    .insert(lessons)
    .values([
      {
        courseId: course!.id,
        sectionId: section!.id,
        title: 'Welcome',
        type: 'text',
        position: 0,
        isFreePreview: true,
        body: 'Free for everyone.',
      },
      {
        courseId: course!.id,
        sectionId: section!.id,
        title: 'The real thing',
        type: 'attachment',
        position: 1,
        body: 'Only for enrolled students.',
      },
    ])
    .returning();
  const [attachment] = await db
    .insert(lessonAttachments)
    .values({
      lessonId: paid!.id,
      courseId: course!.id,
      fileName: 'notes.pdf',
      contentType: 'application/pdf',
      sizeBytes: 12,
      storageKey: `fixtures/${suffix}/notes.pdf`,
    })
    .returning();
  return {
    id: course!.id,
    slug: course!.slug,
    sectionId: section!.id,
    previewLessonId: preview!.id,
    paidLessonId: paid!.id,
    attachmentId: attachment!.id,
  };
}

/**
 * A video row as a finished transcode leaves it (status ready, a published version), written
 * straight into the database: for tests of what uses a video (lesson links, the publish
 * checklist, the media route) without running ffmpeg. No files exist unless the test stores them
 * under `videos-processed/<id>/<version>/`.
 */
export async function insertReadyVideo(
  db: Db,
  ownerId: string,
  opts: { durationSeconds?: number; status?: 'ready' | 'processing' | 'failed' } = {},
): Promise<{ id: string; version: string }> {
  const suffix = randomBytes(4).toString('hex');
  const status = opts.status ?? 'ready';
  const version = `vfixture${suffix}`;
  const [row] = await db
    .insert(videos)
    .values({
      ownerId,
      status,
      originalFilename: `lecture-${suffix}.mp4`,
      contentType: 'video/mp4',
      sizeBytes: 1024,
      fingerprint: `fixture-${suffix}`,
      rawKey: `${ownerId}/fixture-${suffix}/source`,
      partSize: 8 * 1024 * 1024,
      partCount: 1,
      version: status === 'ready' ? version : null,
      durationSeconds: opts.durationSeconds ?? 61.6,
      width: 1280,
      height: 720,
      renditions: [
        {
          name: '720p',
          width: 1280,
          height: 720,
          bandwidth: 1_500_000,
          averageBandwidth: 1_000_000,
          codecs: 'avc1.64001f,mp4a.40.2',
          frameRate: 30,
          playlist: '720p/index.m3u8',
          bytes: 1024,
        },
      ],
      poster: { jpeg: 'poster.jpg', webp: 'poster.webp', width: 1280, height: 720 },
      storyboard: {
        vtt: 'storyboard.vtt',
        sprite: 'storyboard.jpg',
        tileWidth: 160,
        tileHeight: 90,
        columns: 10,
        rows: 1,
        intervalSeconds: 6,
      },
      uploadedAt: new Date(),
      readyAt: status === 'ready' ? new Date() : null,
    })
    .returning({ id: videos.id });
  return { id: row!.id, version };
}

export const FIXTURE_PASSWORD = 'fixture-password-123';
/** Each fixture user calls from its own address, so per-IP limits of one never reach another. */
let nextIp = (77 << 16) + 1;

/** A verified user of the given role, signed in through the API from its own address. */
export async function signedInUser(
  server: TestServer,
  role: 'student' | 'instructor' | 'admin',
  opts: { displayName?: string } = {},
): Promise<{ id: string; email: string; client: ApiClient }> {
  const email = `${role}-${randomBytes(5).toString('hex')}@example.com`;
  const user = await server.services.users.createUser({
    email,
    password: FIXTURE_PASSWORD,
    displayName: opts.displayName ?? `${role} ${email.slice(role.length + 1, role.length + 6)}`,
    role,
  });
  const client = new ApiClient(server.url, `10.${(nextIp >> 16) & 255}.${(nextIp >> 8) & 255}.${nextIp++ & 255}`);
  const res = await client.login(email, FIXTURE_PASSWORD);
  if (res.status !== 200) throw new Error(`log-in of the ${role} fixture failed: ${res.status} ${await res.text()}`);
  return { id: user.id, email, client };
}

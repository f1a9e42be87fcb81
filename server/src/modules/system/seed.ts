import type { Db } from '../../platform/db/port.js';
import type { NotificationService } from '../notifications/service.js';
import type { CourseSearchIndexer } from '../search/indexer.js';
import { DEMO_USERS } from '../users/demo-users.js';
import { UserInputError, type UserService } from '../users/service.js';
import { seedDemoCatalog } from './demo-catalog.js';
import { demoCoverPng } from './demo-covers.js';

export class DemoDataRefusedError extends Error {
  constructor() {
    super('Demo data is for embedded/development installs only; refusing with NODE_ENV=production.');
    this.name = 'DemoDataRefusedError';
  }
}

export interface SeedDependencies {
  users: UserService;
  notifications: NotificationService;
  isProduction: boolean;
  publicUrl: string;
  /** The primary database and the search indexer, for the demo catalog. */
  db: Db;
  searchIndexer: CourseSearchIndexer;
  /** The studio's cover upload as the course's instructor; demo courses get covers when given. */
  uploadCover?: (instructorId: string, courseId: string, image: Buffer) => Promise<unknown>;
  /** Gives the demo video lessons a generated lecture run through the real pipeline, when given. */
  seedVideos?: (instructorId: string) => Promise<unknown>;
  log?: { warn(details: object, message: string): void };
}

/**
 * Demo users are created like operator-made ones: verified, active, consents recorded, so they can
 * log in at once. Idempotent: existing demo users are left as they are. Each new demo user gets a welcome mail
 * through the queue, so a new install shows the mail path working in the dev mailbox.
 * Then the demo catalog (categories, courses, enrollments, reviews), unless a catalog exists.
 * Returns the emails created now.
 */
export async function seedDemoData(deps: SeedDependencies): Promise<string[]> {
  if (deps.isProduction) throw new DemoDataRefusedError();
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    try {
      await deps.users.createUser(demo);
    } catch (error) {
      if (error instanceof UserInputError && error.code === 'email_taken') continue;
      throw error;
    }
    created.push(demo.email);
    await deps.notifications.sendEmail(
      {
        to: [demo.email],
        subject: 'Lectio에 오신 것을 환영합니다 / Welcome to Lectio',
        text: [
          `${demo.displayName}님, 안녕하세요.`,
          `데모 계정(${demo.role})이 준비되었습니다: ${deps.publicUrl}`,
          '',
          `Hello ${demo.displayName},`,
          `your demo ${demo.role} account is ready: ${deps.publicUrl}`,
        ].join('\n'),
      },
      { dedupeKey: `welcome:${demo.email}` },
    );
  }
  const catalog = await seedDemoCatalog(deps.db, deps.searchIndexer);
  if (catalog && deps.uploadCover) {
    // After the catalog's transaction and best effort: storage may be down, and a course without
    // a cover is still a complete demo.
    for (const [index, course] of catalog.courses.entries()) {
      try {
        await deps.uploadCover(catalog.instructorId, course.id, demoCoverPng(index));
      } catch (error) {
        deps.log?.warn({ err: error, courseId: course.id }, 'demo cover not uploaded');
        break;
      }
    }
  }
  if (catalog && deps.seedVideos) {
    // Best effort like the covers: without ffmpeg the lesson says its video is being prepared.
    await deps.seedVideos(catalog.instructorId).catch((error: unknown) => {
      deps.log?.warn({ err: error }, 'demo lecture video not generated (is ffmpeg installed?)');
    });
  }
  return created;
}

import type { Actor } from '../access/permissions.js';

/** Why someone may see a course's paid content; `none` when they may not. */
export type CourseAccess = 'admin' | 'owner' | 'enrolled' | 'none';

/**
 * The one access check every module uses (lesson content, attachments, reviews, playback,
 * progress): an active enrollment, the course's instructor, or an admin. Free preview is a
 * per-lesson exception the caller adds on top. Implemented by the enrollments module.
 */
export interface CourseAccessChecker {
  accessOf(actor: Actor | undefined, courseId: string): Promise<CourseAccess>;
}

import { and, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import type { Actor } from '../access/permissions.js';
import { courses } from '../catalog/schema.js';
import type { CourseAccess, CourseAccessChecker } from './access.js';
import { enrollments } from './schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one access check (see access.ts). Give it the primary database: a student who has just
 * enrolled must be let in on the very next request, which a lagging replica would refuse.
 */
export class EnrollmentAccessService implements CourseAccessChecker {
  constructor(private readonly db: Db) {}

  async accessOf(actor: Actor | undefined, courseId: string): Promise<CourseAccess> {
    if (!actor) return 'none';
    // A malformed id names no course; asking PostgreSQL would fail on the uuid cast instead.
    if (!UUID.test(courseId)) return 'none';
    // Admins see every course whatever its state; no need to ask the database.
    if (actor.role === 'admin') return 'admin';
    // One query answers both "is it theirs" and "are they enrolled". A revoked enrollment grants nothing.
    const [row] = await this.db
      .select({ instructorId: courses.instructorId, enrollmentId: enrollments.id })
      .from(courses)
      .leftJoin(
        enrollments,
        and(
          eq(enrollments.courseId, courses.id),
          eq(enrollments.userId, actor.userId),
          eq(enrollments.status, 'active'),
        ),
      )
      .where(eq(courses.id, courseId));
    if (!row) return 'none';
    if (row.instructorId === actor.userId) return 'owner';
    return row.enrollmentId ? 'enrolled' : 'none';
  }

  /** Enrolled as a student, whatever the role: what reviewing a course asks, unlike access. */
  async isEnrolled(userId: string, courseId: string): Promise<boolean> {
    if (!UUID.test(courseId)) return false;
    const [row] = await this.db
      .select({ id: enrollments.id })
      .from(enrollments)
      .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId), eq(enrollments.status, 'active')));
    return row !== undefined;
  }
}

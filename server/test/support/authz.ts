/**
 * The authorization matrix: every operation in /openapi.json against every kind of caller.
 * A route without a row fails the suite, so a new endpoint cannot ship without someone deciding
 * who may call it.
 */

/**
 * `instructor` owns the fixture course, `otherInstructor` teaches but not that course;
 * `enrolledStudent` is a student enrolled in it (and the author of its review), `student` is not.
 */
export const ACTORS = ['anonymous', 'student', 'enrolledStudent', 'instructor', 'otherInstructor', 'admin'] as const;
export type Actor = (typeof ACTORS)[number];

/** What a row may use to build its request: ids of things that exist, owned by a known actor. */
export interface Fixtures {
  /** The user id of each signed-in actor. */
  userId: Record<Exclude<Actor, 'anonymous'>, string>;
  /**
   * Opens a new session of the `student` actor and returns its id, so each caller of an
   * ownership row targets a live session (an earlier caller cannot have ended it already).
   */
  newStudentSession(): Promise<string>;
  /** A pending instructor application by a user nobody else in the matrix is. */
  pendingApplicationId: string;
  /** A mail in the dev mailbox. */
  mailId: string;
  /** A published free course owned by `instructor`, with `enrolledStudent` enrolled and its review. */
  course: CourseFixture;
  /** A published paid course owned by `instructor` (nobody enrolled). */
  paidCourse: CourseFixture;
  /** A new pending order of `student` for a new paid course of `instructor`. */
  newOrder(): Promise<string>;
  /** A draft course owned by `instructor`. */
  draftCourse: CourseFixture;
  /** The review `enrolledStudent` wrote of `course`. */
  reviewId: string;
  /** An issued certificate of `enrolledStudent` for `course`. */
  certificateCode: string;
  /** Another review of `course` (by a student outside the matrix), for the moderation rows. */
  moderatedReviewId: string;
  /** A new published free course owned by `instructor`, for rows that enroll or change a course. */
  newCourse(opts?: {
    price?: number;
    status?: 'draft' | 'published' | 'archived';
    /** Ready to publish: a category and a cover set. */
    publishable?: boolean;
    takenDown?: boolean;
  }): Promise<CourseFixture>;
  /** A 1280×720 JPEG, for the cover upload. */
  coverImage: Uint8Array;
  /** An open video upload of `instructor` (one part planned, none stored); no row ends it. */
  videoId: string;
  /**
   * A new open upload of `instructor`: one part of `size` bytes planned. With `partStored` the
   * bytes are already PUT to storage, and `etag` is what the PUT answered.
   */
  newVideoUpload(opts?: { partStored?: boolean }): Promise<{ id: string; size: number; etag: string | undefined }>;
  /** A new caption of `videoId` (a fresh language each time), for rows that delete one. */
  newCaption(): Promise<{ videoId: string; captionId: string }>;
}

export interface CourseFixture {
  id: string;
  slug: string;
  sectionId: string;
  /** A free-preview text lesson. */
  previewLessonId: string;
  /** A lesson for enrolled students only, with `attachmentId`. */
  paidLessonId: string;
  attachmentId: string;
}

export interface MatrixRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, for the upload routes. */
  raw?: { contentType: string; data: Uint8Array };
  headers?: Record<string, string>;
}

export interface MatrixRow {
  /** `METHOD /path` exactly as in the OpenAPI document, e.g. `GET /api/v1/me`. */
  operation: string;
  /** Expected HTTP status for each actor. */
  expect: Record<Actor, number>;
  request?: (fixtures: Fixtures, actor: Actor) => MatrixRequest | Promise<MatrixRequest>;
  /**
   * The call changes the caller (logs out, deactivates, deletes): each actor gets a fresh
   * account of the same role for this row so the others stay usable.
   */
  destructive?: boolean;
}

/** Shorthand: the same status for every signed-in actor, and 401 for anonymous. */
export function signedIn(status: number): Record<Actor, number> {
  return {
    anonymous: 401,
    student: status,
    enrolledStudent: status,
    instructor: status,
    otherInstructor: status,
    admin: status,
  };
}

/** Admin-only: 401 anonymous, 403 everyone else, `status` for the admin. */
export function adminOnly(status: number): Record<Actor, number> {
  return { anonymous: 401, student: 403, enrolledStudent: 403, instructor: 403, otherInstructor: 403, admin: status };
}

export function everyone(status: number): Record<Actor, number> {
  return {
    anonymous: status,
    student: status,
    enrolledStudent: status,
    instructor: status,
    otherInstructor: status,
    admin: status,
  };
}

/** The owner of the fixture course and admins get `status`; other signed-in callers `others`; anonymous 401. */
export function ownerOrAdmin(status: number, others = 403): Record<Actor, number> {
  return {
    anonymous: 401,
    student: others,
    enrolledStudent: others,
    instructor: status,
    otherInstructor: others,
    admin: status,
  };
}

/** Instructors and admins get `status`; students 403 `forbidden`; anonymous 401. */
export function teachers(status: number): Record<Actor, number> {
  return { ...signedIn(status), student: 403, enrolledStudent: 403 };
}

/**
 * The studio on the fixture course: its instructor and admins get `status`; another instructor 404
 * (a course that is not theirs does not exist for them); students 403; anonymous 401.
 */
export function courseOwner(status: number): Record<Actor, number> {
  return { ...teachers(status), otherInstructor: 404, instructor: status, admin: status };
}

/** The course's content: enrolled students, its instructor and admins get `status`; other users 403, anonymous 401. */
export function courseAccess(status: number): Record<Actor, number> {
  return { ...signedIn(403), enrolledStudent: status, instructor: status, admin: status };
}

export function operationsOf(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  const methods = ['get', 'post', 'put', 'patch', 'delete'];
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => methods.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for path parameter {${name}} in ${path}`);
    return encodeURIComponent(value);
  });
}

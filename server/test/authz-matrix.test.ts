import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTORS,
  adminOnly,
  courseAccess,
  courseOwner,
  everyone,
  fillPath,
  operationsOf,
  ownerOrAdmin,
  signedIn,
  teachers,
  type Actor,
  type Fixtures,
  type MatrixRequest,
  type MatrixRow,
} from './support/authz.js';
import sharp from 'sharp';
import { categories } from '../src/modules/catalog/schema.js';
import { insertCourse } from './support/course-fixtures.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const PASSWORD = 'matrix-password-123';
const unique = () => randomBytes(4).toString('hex');

/**
 * Who may call what. Every operation of /openapi.json needs a row here; a route added without one
 * fails the suite. Later issues add their rows (and the enrolled-student column with enrollments).
 */
const ROWS: MatrixRow[] = [
  { operation: 'GET /health/live', expect: everyone(200) },
  { operation: 'GET /health/ready', expect: everyone(200) },
  { operation: 'GET /api/v1/dev/mailbox', expect: everyone(200) },
  {
    operation: 'GET /api/v1/dev/mailbox/{id}',
    expect: everyone(200),
    request: (f) => ({ params: { id: f.mailId } }),
  },

  {
    operation: 'POST /api/v1/auth/register',
    expect: everyone(202),
    request: () => ({
      body: {
        email: `new-${unique()}@example.com`,
        password: PASSWORD,
        displayName: 'New',
        locale: 'en',
        consents: { terms: true, privacy: true, marketing: false },
      },
    }),
  },
  {
    operation: 'POST /api/v1/auth/verify-email',
    expect: everyone(400),
    request: () => ({ body: { token: 'x'.repeat(43) } }),
  },
  {
    operation: 'POST /api/v1/auth/resend-verification',
    expect: everyone(202),
    request: () => ({ body: { email: `nobody-${unique()}@example.com` } }),
  },
  {
    operation: 'POST /api/v1/auth/login',
    expect: everyone(401),
    request: () => ({ body: { email: `nobody-${unique()}@example.com`, password: PASSWORD } }),
  },
  // Cookie-authenticated: without the refresh cookie and CSRF header nobody gets through.
  { operation: 'POST /api/v1/auth/refresh', expect: everyone(403) },
  { operation: 'POST /api/v1/auth/logout', expect: everyone(403) },
  {
    operation: 'POST /api/v1/auth/forgot-password',
    expect: everyone(202),
    request: () => ({ body: { email: `nobody-${unique()}@example.com` } }),
  },
  {
    operation: 'POST /api/v1/auth/reset-password',
    expect: everyone(400),
    request: () => ({ body: { token: 'x'.repeat(43), password: PASSWORD } }),
  },

  { operation: 'GET /api/v1/me', expect: signedIn(200) },
  { operation: 'PATCH /api/v1/me', expect: signedIn(200), request: () => ({ body: { displayName: 'Renamed' } }) },
  {
    operation: 'POST /api/v1/me/password',
    expect: signedIn(403),
    request: () => ({ body: { currentPassword: 'not-the-password-1', newPassword: 'another-password-1' } }),
  },
  {
    operation: 'POST /api/v1/me/email',
    expect: signedIn(403),
    request: () => ({ body: { newEmail: `moved-${unique()}@example.com`, password: 'not-the-password-1' } }),
  },
  { operation: 'GET /api/v1/me/sessions', expect: signedIn(200) },
  {
    // Ownership: only the student who owns the session may end it; to anyone else it does not exist.
    operation: 'DELETE /api/v1/me/sessions/{id}',
    expect: { anonymous: 401, student: 204, enrolledStudent: 404, instructor: 404, otherInstructor: 404, admin: 404 },
    request: async (f) => ({ params: { id: await f.newStudentSession() } }),
  },
  {
    operation: 'POST /api/v1/me/deactivate',
    expect: signedIn(204),
    request: () => ({ body: { password: PASSWORD } }),
    destructive: true,
  },
  { operation: 'GET /api/v1/me/export', expect: signedIn(200) },
  {
    operation: 'DELETE /api/v1/me',
    expect: signedIn(204),
    request: () => ({ body: { password: PASSWORD } }),
    destructive: true,
  },
  {
    operation: 'POST /api/v1/me/instructor-application',
    expect: { anonymous: 401, student: 201, enrolledStudent: 201, instructor: 409, otherInstructor: 409, admin: 409 },
    request: () => ({ body: { motivation: 'I have taught databases for ten years at a university.' } }),
    destructive: true,
  },
  { operation: 'GET /api/v1/me/instructor-application', expect: signedIn(404) },

  { operation: 'GET /api/v1/admin/users', expect: adminOnly(200) },
  {
    operation: 'PATCH /api/v1/admin/users/{id}',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.userId.student }, body: { status: 'active' } }),
  },
  { operation: 'GET /api/v1/admin/instructor-applications', expect: adminOnly(200) },
  {
    operation: 'POST /api/v1/admin/instructor-applications/{id}/decision',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.pendingApplicationId }, body: { approve: false, note: 'Not yet' } }),
  },

  // Enrollments and wishlist: any signed-in user, the service deciding on the course.
  {
    // A new free course per caller: its instructor already has access (409 own_course), everyone else enrolls.
    operation: 'POST /api/v1/courses/{id}/enroll',
    expect: { ...signedIn(201), instructor: 409 },
    request: async (f) => ({ params: { id: (await f.newCourse()).id } }),
  },
  { operation: 'GET /api/v1/me/enrollments', expect: signedIn(200) },
  { operation: 'GET /api/v1/me/wishlist', expect: signedIn(200) },
  { operation: 'GET /api/v1/me/certificates', expect: signedIn(200) },
  {
    // Public: anyone holding the id may verify it.
    operation: 'GET /api/v1/certificates/{code}',
    expect: everyone(200),
    request: (f) => ({ params: { code: f.certificateCode } }),
  },
  {
    // The certificate's student (the enrolled student) and admins; nobody else, not even the course's instructor.
    operation: 'GET /api/v1/certificates/{code}/pdf',
    expect: { anonymous: 401, student: 403, enrolledStudent: 200, instructor: 403, otherInstructor: 403, admin: 200 },
    request: (f) => ({ params: { code: f.certificateCode } }),
  },
  {
    operation: 'PUT /api/v1/me/wishlist/{courseId}',
    expect: signedIn(204),
    request: (f) => ({ params: { courseId: f.course.id } }),
  },
  {
    operation: 'DELETE /api/v1/me/wishlist/{courseId}',
    expect: signedIn(204),
    request: (f) => ({ params: { courseId: f.course.id } }),
  },

  // Reviews: read by anyone, written by enrolled students, edited by their author, replied to by
  // the course's instructor, moderated by admins.
  {
    operation: 'GET /api/v1/courses/{id}/reviews',
    expect: everyone(200),
    request: (f) => ({ params: { id: f.course.id } }),
  },
  {
    operation: 'GET /api/v1/courses/{id}/reviews/mine',
    expect: signedIn(200),
    request: (f) => ({ params: { id: f.course.id } }),
  },
  {
    // Only the enrolled student may review; they already have (409 review_exists), so nothing changes here.
    operation: 'POST /api/v1/courses/{id}/reviews',
    expect: { anonymous: 401, student: 403, enrolledStudent: 409, instructor: 403, otherInstructor: 403, admin: 403 },
    request: (f) => ({ params: { id: f.course.id }, body: { rating: 5, body: 'Great' } }),
  },
  {
    operation: 'PATCH /api/v1/reviews/{id}',
    expect: { anonymous: 401, student: 403, enrolledStudent: 200, instructor: 403, otherInstructor: 403, admin: 403 },
    request: (f) => ({ params: { id: f.reviewId }, body: { rating: 4 } }),
  },
  {
    operation: 'PUT /api/v1/reviews/{id}/reply',
    // The instructor only: an admin does not speak for them.
    expect: { ...ownerOrAdmin(200), admin: 403 },
    request: (f) => ({ params: { id: f.reviewId }, body: { body: 'Thank you!' } }),
  },
  {
    operation: 'POST /api/v1/reviews/{id}/report',
    expect: signedIn(204),
    request: (f) => ({ params: { id: f.reviewId }, body: { reason: 'Checking the matrix' } }),
  },
  { operation: 'GET /api/v1/admin/reviews/reports', expect: adminOnly(200) },
  {
    operation: 'POST /api/v1/admin/reviews/{id}/hide',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.moderatedReviewId }, body: { reason: 'Spam' } }),
  },
  {
    operation: 'POST /api/v1/admin/reviews/{id}/unhide',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.moderatedReviewId } }),
  },

  // Views and search: public.
  {
    operation: 'POST /api/v1/courses/{id}/views',
    expect: everyone(204),
    request: (f) => ({ params: { id: f.course.id } }),
  },
  {
    operation: 'GET /api/v1/search',
    expect: everyone(200),
    request: () => ({ query: { q: '파이썬', sort: 'rating' } }),
  },
  { operation: 'GET /api/v1/search/suggest', expect: everyone(200), request: () => ({ query: { q: 'fix' } }) },

  // The public catalog.
  { operation: 'GET /api/v1/categories', expect: everyone(200) },
  { operation: 'GET /api/v1/courses', expect: everyone(200), request: () => ({ query: { sort: 'popular' } }) },
  {
    // A draft's page exists only for its instructor and admins; to everyone else it is not there.
    operation: 'GET /api/v1/courses/{slug}',
    expect: { ...courseOwner(200), anonymous: 404, student: 404, enrolledStudent: 404 },
    request: (f) => ({ params: { slug: f.draftCourse.slug } }),
  },
  {
    operation: 'GET /api/v1/instructors/{id}',
    expect: everyone(200),
    request: (f) => ({ params: { id: f.userId.instructor } }),
  },
  {
    // A lesson that is not a free preview: the course's content, behind the one access check.
    operation: 'GET /api/v1/lessons/{id}',
    expect: courseAccess(200),
    request: (f) => ({ params: { id: f.course.paidLessonId } }),
  },
  {
    operation: 'GET /api/v1/lessons/{id}/attachments/{attachmentId}/download',
    expect: courseAccess(200),
    request: (f) => ({ params: { id: f.course.paidLessonId, attachmentId: f.course.attachmentId } }),
  },

  // The instructor studio: teachers only; a course that is not theirs is a 404, admins reach all.
  { operation: 'GET /api/v1/studio/courses', expect: teachers(200) },
  {
    operation: 'POST /api/v1/studio/courses',
    expect: teachers(201),
    request: () => ({ body: { title: `Matrix course ${unique()}`, price: { amount: 0, currency: 'KRW' } } }),
  },
  {
    operation: 'GET /api/v1/studio/courses/{id}',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.course.id } }),
  },
  {
    operation: 'PATCH /api/v1/studio/courses/{id}',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.draftCourse.id }, body: { subtitle: 'Edited by the matrix' } }),
  },
  {
    operation: 'GET /api/v1/studio/courses/{id}/checklist',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.draftCourse.id } }),
  },
  {
    operation: 'POST /api/v1/studio/courses/{id}/publish',
    expect: courseOwner(200),
    request: async (f) => ({ params: { id: (await f.newCourse({ status: 'draft', publishable: true })).id } }),
  },
  {
    operation: 'POST /api/v1/studio/courses/{id}/unpublish',
    expect: courseOwner(200),
    request: async (f) => ({ params: { id: (await f.newCourse()).id } }),
  },
  {
    operation: 'POST /api/v1/studio/courses/{id}/archive',
    expect: courseOwner(200),
    request: async (f) => ({ params: { id: (await f.newCourse()).id } }),
  },
  {
    operation: 'POST /api/v1/studio/courses/{id}/sections',
    expect: courseOwner(201),
    request: (f) => ({ params: { id: f.draftCourse.id }, body: { title: 'More' } }),
  },
  {
    operation: 'PATCH /api/v1/studio/sections/{id}',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.draftCourse.sectionId }, body: { title: 'Renamed' } }),
  },
  {
    operation: 'DELETE /api/v1/studio/sections/{id}',
    expect: courseOwner(204),
    request: async (f) => ({ params: { id: (await f.newCourse({ status: 'draft' })).sectionId } }),
  },
  {
    operation: 'POST /api/v1/studio/sections/{id}/lessons',
    expect: courseOwner(201),
    request: (f) => ({ params: { id: f.draftCourse.sectionId }, body: { title: 'Another lesson', type: 'text' } }),
  },
  {
    operation: 'PATCH /api/v1/studio/lessons/{id}',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.draftCourse.previewLessonId }, body: { durationSeconds: 120 } }),
  },
  {
    operation: 'DELETE /api/v1/studio/lessons/{id}',
    expect: courseOwner(204),
    request: async (f) => ({ params: { id: (await f.newCourse({ status: 'draft' })).previewLessonId } }),
  },
  {
    // The whole order at once, reversed.
    operation: 'PUT /api/v1/studio/courses/{id}/curriculum',
    expect: courseOwner(200),
    request: async (f) => {
      const c = await f.newCourse({ status: 'draft' });
      return {
        params: { id: c.id },
        body: { sections: [{ id: c.sectionId, lessonIds: [c.paidLessonId, c.previewLessonId] }] },
      };
    },
  },
  {
    operation: 'PUT /api/v1/studio/courses/{id}/cover',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.draftCourse.id }, raw: { contentType: 'image/jpeg', data: f.coverImage } }),
  },
  {
    operation: 'POST /api/v1/studio/lessons/{id}/attachments',
    expect: courseOwner(201),
    request: (f) => ({
      params: { id: f.draftCourse.paidLessonId },
      query: { fileName: 'cheatsheet.txt' },
      raw: { contentType: 'text/plain', data: new TextEncoder().encode('SELECT 1;') },
    }),
  },
  {
    operation: 'DELETE /api/v1/studio/attachments/{id}',
    expect: courseOwner(204),
    request: async (f) => ({ params: { id: (await f.newCourse({ status: 'draft' })).attachmentId } }),
  },

  // Studio videos: teachers only; a video that is not theirs is a 404, admins reach all.
  {
    operation: 'POST /api/v1/studio/videos/uploads',
    expect: teachers(201),
    request: () => ({ body: { filename: 'lecture.mp4', size: 4096, fingerprint: `matrix-${unique()}` } }),
  },
  { operation: 'GET /api/v1/studio/videos', expect: teachers(200) },
  {
    operation: 'GET /api/v1/studio/videos/{id}',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.videoId } }),
  },
  {
    operation: 'DELETE /api/v1/studio/videos/{id}',
    expect: courseOwner(204),
    request: async (f) => ({ params: { id: (await f.newVideoUpload()).id } }),
  },
  {
    operation: 'GET /api/v1/studio/videos/{id}/upload',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.videoId } }),
  },
  {
    operation: 'POST /api/v1/studio/videos/{id}/upload/part-urls',
    expect: courseOwner(200),
    request: (f) => ({ params: { id: f.videoId }, body: { partNumbers: [1] } }),
  },
  {
    operation: 'POST /api/v1/studio/videos/{id}/upload/parts',
    expect: courseOwner(204),
    request: async (f) => {
      const upload = await f.newVideoUpload({ partStored: true });
      return { params: { id: upload.id }, body: { partNumber: 1, etag: upload.etag, size: upload.size } };
    },
  },
  {
    operation: 'POST /api/v1/studio/videos/{id}/upload/complete',
    expect: courseOwner(200),
    request: async (f) => ({ params: { id: (await f.newVideoUpload({ partStored: true })).id } }),
  },
  {
    operation: 'DELETE /api/v1/studio/videos/{id}/upload',
    expect: courseOwner(204),
    request: async (f) => ({ params: { id: (await f.newVideoUpload()).id } }),
  },

  // Playback: the one access check (anonymous only for free previews). The lesson has no video, so
  // whoever passes the check gets 409 video_not_ready: no session is opened by the matrix.
  {
    operation: 'POST /api/v1/lessons/{lessonId}/playback',
    expect: courseAccess(409),
    request: (f) => ({ params: { lessonId: f.course.paidLessonId }, body: {} }),
  },

  // Progress: the one access check. The fixture lesson is an attachment, so whoever passes the check
  // gets 409 lesson_not_video for a heartbeat (the matrix opens no playback session).
  {
    operation: 'POST /api/v1/lessons/{lessonId}/progress',
    expect: courseAccess(409),
    request: (f) => ({
      params: { lessonId: f.course.paidLessonId },
      body: { sessionId: randomUUID(), positionSeconds: 0, watched: [], playbackRate: 1, event: 'tick' },
    }),
  },
  {
    operation: 'POST /api/v1/lessons/{lessonId}/progress/opened',
    expect: courseAccess(204),
    request: (f) => ({ params: { lessonId: f.course.paidLessonId } }),
  },
  {
    operation: 'GET /api/v1/courses/{courseId}/progress',
    expect: courseAccess(200),
    request: (f) => ({ params: { courseId: f.course.id } }),
  },
  { operation: 'GET /api/v1/me/learning', expect: signedIn(200) },
  // Learning analytics: the studio's rule (students 403, another teacher 404).
  {
    operation: 'GET /api/v1/studio/courses/{courseId}/analytics',
    expect: courseOwner(200),
    request: (f) => ({ params: { courseId: f.course.id } }),
  },
  {
    operation: 'GET /api/v1/studio/lessons/{lessonId}/retention',
    expect: courseOwner(200),
    request: (f) => ({ params: { lessonId: f.course.paidLessonId }, query: { points: '10' } }),
  },
  // Captions: the video's owner and admins; to other teachers the video does not exist.
  {
    operation: 'GET /api/v1/studio/videos/{videoId}/captions',
    expect: courseOwner(200),
    request: (f) => ({ params: { videoId: f.videoId } }),
  },
  {
    // Same language each time: the admin's upload replaces the instructor's.
    operation: 'POST /api/v1/studio/videos/{videoId}/captions',
    expect: courseOwner(201),
    request: (f) => ({
      params: { videoId: f.videoId },
      body: { language: 'en', label: 'English', content: 'WEBVTT\n\n00:00.000 --> 00:01.500\nHello\n' },
    }),
  },
  {
    operation: 'DELETE /api/v1/studio/videos/{videoId}/captions/{captionId}',
    expect: courseOwner(204),
    request: async (f) => ({ params: await f.newCaption() }),
  },

  // Course administration.
  { operation: 'GET /api/v1/admin/courses', expect: adminOnly(200), request: () => ({ query: { status: 'draft' } }) },
  {
    operation: 'POST /api/v1/admin/courses/{id}/takedown',
    expect: adminOnly(200),
    request: async (f) => ({ params: { id: (await f.newCourse()).id }, body: { reason: 'Copied material' } }),
  },
  {
    operation: 'POST /api/v1/admin/courses/{id}/restore',
    expect: adminOnly(200),
    request: async (f) => ({ params: { id: (await f.newCourse({ takenDown: true })).id } }),
  },

  // Orders: any signed-in user may buy (the service decides on the course); an order is its
  // student's (and admins'); to anyone else it does not exist.
  {
    operation: 'GET /api/v1/courses/{id}/checkout',
    expect: { ...signedIn(200), instructor: 409 },
    request: (f) => ({ params: { id: f.paidCourse.id } }),
  },
  {
    // A new paid course per caller: its instructor already has access (409 own_course).
    operation: 'POST /api/v1/orders',
    expect: { ...signedIn(201), instructor: 409 },
    request: async (f) => ({ body: { courseId: (await f.newCourse({ price: 49_000 })).id } }),
  },
  {
    operation: 'GET /api/v1/orders/{id}',
    expect: { anonymous: 401, student: 200, enrolledStudent: 404, instructor: 404, otherInstructor: 404, admin: 200 },
    request: async (f) => ({ params: { id: await f.newOrder() } }),
  },
  {
    operation: 'POST /api/v1/orders/{id}/cancel',
    expect: { anonymous: 401, student: 200, enrolledStudent: 404, instructor: 404, otherInstructor: 404, admin: 200 },
    request: async (f) => ({ params: { id: await f.newOrder() } }),
  },
  { operation: 'GET /api/v1/me/orders', expect: signedIn(200) },
  {
    // The gateway's, authenticated by its signature alone: without one nobody gets through.
    operation: 'POST /api/v1/payments/webhooks/stripe',
    expect: everyone(400),
    request: () => ({ body: { id: 'evt_matrix', object: 'event', type: 'checkout.session.completed' } }),
  },

  // Refunds: a student asks about their own order (someone else's is not there); admins decide.
  {
    operation: 'POST /api/v1/orders/{id}/refund-request',
    expect: signedIn(404),
    request: () => ({ params: { id: randomUUID() }, body: { reason: 'Not for me' } }),
  },
  { operation: 'GET /api/v1/admin/orders', expect: adminOnly(200), request: () => ({ query: { status: 'paid' } }) },
  {
    operation: 'POST /api/v1/admin/orders/{id}/refund',
    expect: adminOnly(404),
    request: () => ({ params: { id: randomUUID() }, body: { reason: 'Checking the matrix' } }),
  },
  { operation: 'GET /api/v1/admin/refund-requests', expect: adminOnly(200) },
  {
    operation: 'POST /api/v1/admin/refund-requests/{id}/approve',
    expect: adminOnly(404),
    request: () => ({ params: { id: randomUUID() }, body: {} }),
  },
  {
    operation: 'POST /api/v1/admin/refund-requests/{id}/reject',
    expect: adminOnly(404),
    request: () => ({ params: { id: randomUUID() }, body: { note: 'Checking the matrix' } }),
  },
  // Coupons and revenue in the studio: teachers; a coupon for a course only by its instructor and admins.
  { operation: 'GET /api/v1/studio/revenue', expect: teachers(200) },
  { operation: 'GET /api/v1/studio/coupons', expect: teachers(200) },
  {
    operation: 'POST /api/v1/studio/coupons',
    expect: { ...teachers(201), otherInstructor: 403 },
    request: (f) => ({
      body: { code: `MATRIX-${unique()}`, kind: 'percent', percentOff: 10, courseId: f.paidCourse.id },
    }),
  },
  {
    operation: 'PATCH /api/v1/studio/coupons/{id}',
    expect: teachers(404),
    request: () => ({ params: { id: randomUUID() }, body: { active: false } }),
  },

  // The job monitor: admins only. No job has that id, so an admin's Retry and Remove answer 404.
  { operation: 'GET /api/v1/admin/jobs', expect: adminOnly(200) },
  {
    operation: 'GET /api/v1/admin/jobs/{queue}',
    expect: adminOnly(200),
    request: () => ({ params: { queue: 'default' }, query: { state: 'failed' } }),
  },
  {
    operation: 'POST /api/v1/admin/jobs/{queue}/{id}/retry',
    expect: adminOnly(404),
    request: () => ({ params: { queue: 'default', id: '987654321' } }),
  },
  {
    operation: 'DELETE /api/v1/admin/jobs/{queue}/{id}',
    expect: adminOnly(404),
    request: () => ({ params: { queue: 'video', id: '987654321' } }),
  },
];

const ROLE_OF: Record<Exclude<Actor, 'anonymous'>, 'student' | 'instructor' | 'admin'> = {
  student: 'student',
  enrolledStudent: 'student',
  instructor: 'instructor',
  otherInstructor: 'instructor',
  admin: 'admin',
};

describe('authorization matrix [embedded]', () => {
  let server: TestServer;
  const tokens = new Map<Actor, string>();
  let fixtures: Fixtures;
  // Each actor calls from its own address (behind the trusted proxy), so per-IP limits on
  // log-in and registration apply per actor, as they would to separate people.
  const ipOf = (actor: Actor) => `10.9.${ACTORS.indexOf(actor)}.${Math.floor(Math.random() * 250) + 1}`;

  async function call(
    method: string,
    path: string,
    actor: Actor,
    init: { body?: unknown; raw?: MatrixRequest['raw']; token?: string; query?: Record<string, string> } = {},
  ) {
    const url = new URL(path, server.url);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'x-forwarded-for': ipOf(actor) };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.raw) headers['content-type'] = init.raw.contentType;
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const body = init.raw ? init.raw.data : init.body === undefined ? undefined : JSON.stringify(init.body);
    return fetch(url, { method, headers, body });
  }

  async function logIn(actor: Actor, email: string): Promise<string> {
    const res = await call('POST', '/api/v1/auth/login', actor, { body: { email, password: PASSWORD } });
    expect(res.status, `log-in of ${actor}`).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  async function createSignedIn(
    actor: Exclude<Actor, 'anonymous'>,
  ): Promise<{ id: string; email: string; token: string }> {
    const email = `${actor.toLowerCase()}-${unique()}@example.com`;
    const user = await server.services.users.createUser({
      email,
      password: PASSWORD,
      displayName: actor,
      role: ROLE_OF[actor],
    });
    const token = await logIn(actor, email);
    // Fixtures exist once the first accounts are made; later enrolled students join the course at once.
    if (actor === 'enrolledStudent' && fixtures) await enroll(fixtures.course.id, token);
    return { id: user.id, email, token };
  }

  async function enroll(courseId: string, token: string): Promise<void> {
    const res = await call('POST', `/api/v1/courses/${courseId}/enroll`, 'enrolledStudent', { token });
    expect(res.status, 'enrolling a fixture student').toBe(201);
  }

  async function review(courseId: string, token: string, body: string): Promise<string> {
    const res = await call('POST', `/api/v1/courses/${courseId}/reviews`, 'enrolledStudent', {
      token,
      body: { rating: 4, body },
    });
    expect(res.status, 'a fixture review').toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  beforeAll(async () => {
    // Every actor of every video row gets a fresh upload of the instructor's: far past the default.
    server = await startTestServer({ TRUST_PROXY: 'true', VIDEO_MAX_OPEN_UPLOADS: '1000' });
    const userId = {} as Fixtures['userId'];
    const emails = {} as Record<Exclude<Actor, 'anonymous'>, string>;
    for (const actor of ACTORS) {
      if (actor === 'anonymous') continue;
      const created = await createSignedIn(actor);
      tokens.set(actor, created.token);
      userId[actor] = created.id;
      emails[actor] = created.email;
    }
    // Sessions the matrix revokes are extra log-ins of the student, leaving its token usable.
    const newStudentSession = async () => {
      await logIn('student', emails.student);
      const sessions = (await (
        await call('GET', '/api/v1/me/sessions', 'student', { token: tokens.get('student') })
      ).json()) as { items: { id: string; current: boolean; createdAt: string }[] };
      const newest = sessions.items.filter((s) => !s.current).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      if (!newest) throw new Error('the student should have a second session');
      return newest.id;
    };

    const applicant = await createSignedIn('student');
    const application = (await (
      await call('POST', '/api/v1/me/instructor-application', 'student', {
        token: applicant.token,
        body: { motivation: 'I would like to teach a course on compilers and parsing.' },
      })
    ).json()) as { id: string };
    // The demo seed's welcome mails arrive through the queue shortly after start.
    const mailId = await waitUntil(async () => {
      const mails = (await (await fetch(`${server.url}/api/v1/dev/mailbox`)).json()) as { items: { id: string }[] };
      return mails.items[0]?.id;
    }, 'a mail in the dev mailbox');

    // The catalog the course rows act on, written straight into the database (the studio's own
    // tests cover making one through the API); enrollments and reviews go through the API.
    const db = server.database.primary;
    const [category] = await db
      .insert(categories)
      .values({ slug: `matrix-${unique()}`, nameKo: '매트릭스', nameEn: 'Matrix' })
      .returning();
    const newCourse: Fixtures['newCourse'] = (opts = {}) =>
      insertCourse(db, {
        instructorId: userId.instructor,
        price: opts.price ?? 0,
        status: opts.status,
        extra: {
          ...(opts.publishable ? { categoryId: category!.id, coverKey: `covers/matrix-${unique()}/v1` } : {}),
          ...(opts.takenDown ? { takedownReason: 'Copied material', takenDownAt: new Date() } : {}),
        },
      });
    const newVideoUpload: Fixtures['newVideoUpload'] = async (opts = {}) => {
      const owner = { userId: userId.instructor, role: 'instructor' as const };
      const size = 4096;
      const { video } = await server.services.videoUploads.start(owner, {
        filename: 'lecture.mp4',
        size,
        fingerprint: `matrix-${unique()}`,
      });
      if (!opts.partStored) return { id: video.id, size, etag: undefined };
      const [part] = (await server.services.videoUploads.partUrls(owner, video.id, [1])).urls;
      const put = await fetch(part!.url, { method: 'PUT', body: new Uint8Array(size) });
      expect(put.status, 'storing a fixture part').toBe(200);
      return { id: video.id, size, etag: put.headers.get('etag') ?? undefined };
    };
    const videoId = (await newVideoUpload()).id;
    let captionLanguages = 0;
    const newCaption: Fixtures['newCaption'] = async () => {
      const owner = { userId: userId.instructor, role: 'instructor' as const };
      const language = `x${String.fromCharCode(97 + (captionLanguages % 26))}${String.fromCharCode(97 + Math.floor(captionLanguages++ / 26))}`;
      const caption = await server.services.captions.upload(owner, videoId, {
        language,
        label: 'Matrix',
        content: 'WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n',
      });
      return { videoId, captionId: caption.id };
    };
    const course = await newCourse();
    await enroll(course.id, tokens.get('enrolledStudent')!);
    const reviewId = await review(course.id, tokens.get('enrolledStudent')!, 'Clear, and the exercises help.');
    const outsider = await createSignedIn('student');
    await enroll(course.id, outsider.token);
    const moderatedReviewId = await review(course.id, outsider.token, 'Buy followers at spam.example');
    // Completion reported as progress would report it; the worker issues the certificate.
    const certificateHolder = { userId: userId.enrolledStudent, role: 'student' as const };
    await server.services.certificates.courseCompleted({
      ...certificateHolder,
      courseId: course.id,
      completedAt: new Date(),
    });
    const certificateCode = await waitUntil(async () => {
      const [issued] = (await server.services.certificates.mine(certificateHolder, { page: 1, pageSize: 1 })).items;
      return issued?.status === 'issued' ? issued.code : undefined;
    }, 'an issued certificate');
    fixtures = {
      userId,
      newStudentSession,
      pendingApplicationId: application.id,
      mailId,
      course,
      paidCourse: await newCourse({ price: 49_000 }),
      newOrder: async () => {
        const { order } = await server.services.orders.create(
          { userId: userId.student, role: 'student' },
          { courseId: (await newCourse({ price: 49_000 })).id },
        );
        return order.id;
      },
      draftCourse: await newCourse({ status: 'draft' }),
      reviewId,
      moderatedReviewId,
      certificateCode,
      newCourse,
      videoId,
      newVideoUpload,
      newCaption,
      coverImage: await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#3366aa' } })
        .jpeg()
        .toBuffer(),
    };
  });
  afterAll(() => server?.stop());

  it('has a row for every operation in /openapi.json, and no row for an operation that is gone', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = operationsOf(doc).sort();
    const rows = ROWS.map((r) => r.operation).sort();
    expect(
      operations.filter((op) => !rows.includes(op)),
      'operations without a row',
    ).toEqual([]);
    expect(
      rows.filter((row) => !operations.includes(row)),
      'rows without an operation',
    ).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.operation}`, async () => {
      const [method, path] = row.operation.split(' ') as [string, string];
      const results: Partial<Record<Actor, number>> = {};
      for (const actor of ACTORS) {
        const token =
          actor === 'anonymous' ? undefined : row.destructive ? (await createSignedIn(actor)).token : tokens.get(actor);
        const request = (await row.request?.(fixtures, actor)) ?? {};
        const res = await call(method, fillPath(path, request.params), actor, {
          token,
          body: request.body,
          raw: request.raw,
          query: request.query,
        });
        results[actor] = res.status;
        if (res.status >= 400) {
          const body = (await res.json()) as { error?: { code?: string } };
          expect(typeof body.error?.code, `${actor}: error shape`).toBe('string');
        }
      }
      expect(results).toEqual(row.expect);
    });
  }
});

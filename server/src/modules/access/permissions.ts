import type { UserRole } from '../users/service.js';

/** Who is asking: the authenticated principal, as the HTTP layer resolved it. */
export interface Actor {
  userId: string;
  role: UserRole;
}

/**
 * What is being touched, when the answer depends on it. `ownerId` is the user who owns the thing
 * (a course's instructor, an application's applicant); a module passes it after loading the row.
 */
export interface Resource {
  ownerId: string;
}

type Rule = (actor: Actor, resource?: Resource) => boolean;

const anyUser: Rule = () => true;
const adminOnly: Rule = (actor) => actor.role === 'admin';
/** Admins may act on anything; others only on what they own. Without a resource, only admins pass. */
const ownerOrAdmin: Rule = (actor, resource) => actor.role === 'admin' || resource?.ownerId === actor.userId;
/** Only the owner, not even an admin: what is said in someone's name (a review, a reply) is theirs alone. */
const ownerOnly: Rule = (actor, resource) => resource?.ownerId === actor.userId;
/** Those who may teach: instructors and admins. */
const teacher: Rule = (actor) => actor.role === 'instructor' || actor.role === 'admin';

/**
 * Every permission of the platform in one table, so "who may do what" is read in one place and
 * tested in one place. Modules add their actions here (courses will add e.g. `course.update` with
 * `ownerOrAdmin`); routes never compare roles themselves.
 */
const RULES = {
  'account.read': anyUser,
  'account.update': anyUser,
  // Any user may ask; the service answers an instructor or admin 409 already_instructor.
  'instructor-application.apply': anyUser,
  'instructor-application.read': ownerOrAdmin,
  'instructor-application.decide': adminOnly,
  'admin.users.read': adminOnly,
  'admin.users.update': adminOnly,
  // Any user may enrol or wish; the service decides on the course (free, published, not their own).
  'enrollment.create': anyUser,
  'enrollment.read': anyUser,
  'wishlist.update': anyUser,
  // Any user may try; the service answers 403 not_enrolled unless they are enrolled in the course.
  'review.create': anyUser,
  'review.update': ownerOnly, // the review's author
  'review.reply': ownerOnly, // the course's instructor
  'review.report': anyUser,
  'review.moderate': adminOnly,
  // The studio is for teachers; each course in it only for its instructor (and admins).
  'course.create': teacher,
  'course.update': ownerOrAdmin,
  // Seeing a course that is not published (draft, archived, taken down) on its public page.
  'course.preview': ownerOrAdmin,
  'course.takedown': adminOnly,
  'admin.courses.read': adminOnly,
  // A video in the studio (upload, status, delete, playing it back): its uploader and admins.
  'video.manage': ownerOrAdmin,
  // Any user may list their own certificates; a certificate's PDF is its student's (and admins').
  'certificate.read': anyUser,
  'certificate.download': ownerOrAdmin,
  // Any user may buy; the service decides on the course (paid, published, not their own).
  'order.create': anyUser,
  // Their own orders and receipts (admins see every order through the admin list).
  'order.read': ownerOrAdmin,
  // Asking for a refund of one's own order; the policy decides, an admin approves.
  'refund.request': ownerOnly,
  'admin.orders.read': adminOnly,
  'admin.orders.refund': adminOnly,
  // Course coupons are their course's instructor's (and admins'); site-wide ones are admins' only.
  'coupon.create': teacher,
  'coupon.manage': ownerOrAdmin,
  // An instructor's own sales; admins may see any instructor's.
  'revenue.read': teacher,
  // The job monitor: queue counts and failed jobs, and retrying or removing them.
  'admin.jobs.read': adminOnly,
  'admin.jobs.manage': adminOnly,
} satisfies Record<string, Rule>;

export type Action = keyof typeof RULES;

export function can(actor: Actor | undefined, action: Action, resource?: Resource): boolean {
  return actor !== undefined && RULES[action](actor, resource);
}

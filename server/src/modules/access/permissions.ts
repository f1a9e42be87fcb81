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
} satisfies Record<string, Rule>;

export type Action = keyof typeof RULES;

export function can(actor: Actor | undefined, action: Action, resource?: Resource): boolean {
  return actor !== undefined && RULES[action](actor, resource);
}

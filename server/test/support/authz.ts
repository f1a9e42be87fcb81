/**
 * The authorization matrix: every operation in /openapi.json against every kind of caller.
 * A route without a row fails the suite, so a new endpoint cannot ship without someone deciding
 * who may call it.
 */

export const ACTORS = ['anonymous', 'student', 'instructor', 'otherInstructor', 'admin'] as const;
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
}

export interface MatrixRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
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
  return { anonymous: 401, student: status, instructor: status, otherInstructor: status, admin: status };
}

/** Admin-only: 401 anonymous, 403 everyone else, `status` for the admin. */
export function adminOnly(status: number): Record<Actor, number> {
  return { anonymous: 401, student: 403, instructor: 403, otherInstructor: 403, admin: status };
}

export function everyone(status: number): Record<Actor, number> {
  return { anonymous: status, student: status, instructor: status, otherInstructor: status, admin: status };
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

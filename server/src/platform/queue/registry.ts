import type { JobDeclaration, JobRegistration } from './port.js';
import { InvalidJobPayloadError, MissingJobHandlerError } from './port.js';

/**
 * Checks shared by both queue backends: which handler runs which job, and whether a payload
 * matches its declaration. Kept apart from the adapters so start-up code can run the same checks
 * before it even builds a queue.
 */

export class DuplicateJobNameError extends Error {
  constructor(readonly jobNames: string[]) {
    super(`Job name(s) declared or registered more than once: ${jobNames.join(', ')}`);
    this.name = 'DuplicateJobNameError';
  }
}

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}

/**
 * Refuses a worker whose registrations leave a declared job without a handler: such a job would be
 * enqueued and then sit in the queue (or fail) forever, which is far harder to notice than a
 * process that will not start. Also refuses two declarations or two handlers for one name, since
 * the queue keys jobs by name and only one of them could ever run.
 */
export function assertEveryJobHasHandler(
  declarations: readonly JobDeclaration<unknown>[],
  registrations: readonly JobRegistration[],
): void {
  const repeatedDeclarations = duplicates(declarations.map((d) => d.name));
  if (repeatedDeclarations.length) throw new DuplicateJobNameError(repeatedDeclarations);
  indexRegistrations(registrations);
  const handled = new Set(registrations.map((r) => r.declaration.name));
  const missing = declarations.filter((d) => !handled.has(d.name)).map((d) => d.name);
  if (missing.length) throw new MissingJobHandlerError(missing);
}

/** Registrations by job name; throws DuplicateJobNameError when a name is registered twice. */
export function indexRegistrations(registrations: readonly JobRegistration[]): Map<string, JobRegistration> {
  const repeated = duplicates(registrations.map((r) => r.declaration.name));
  if (repeated.length) throw new DuplicateJobNameError(repeated);
  return new Map(registrations.map((r) => [r.declaration.name, r]));
}

export type PayloadCheck<P> = { ok: true; value: P } | { ok: false; detail: string };

/** Validates a payload against its declaration without throwing. */
export function checkPayload<P>(declaration: JobDeclaration<P>, payload: unknown): PayloadCheck<P> {
  const result = declaration.payload.safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  const detail = result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(payload)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, detail };
}

/**
 * Throws InvalidJobPayloadError unless the payload fits. The caller stores the payload as given
 * (not the parsed value) so the worker parses the same input again: a schema with transforms
 * would otherwise see its own output, which it may not accept.
 */
export function assertValidPayload<P>(declaration: JobDeclaration<P>, payload: unknown): void {
  const check = checkPayload(declaration, payload);
  if (!check.ok) throw new InvalidJobPayloadError(declaration.name, check.detail);
}

/** Validates the numbers of a declaration once, so a typo fails at enqueue, not at the third retry. */
export function assertValidDeclaration(declaration: JobDeclaration<unknown>): void {
  if (!Number.isInteger(declaration.attempts) || declaration.attempts < 1) {
    throw new Error(`Job ${declaration.name}: attempts must be an integer of at least 1`);
  }
  if (!Number.isInteger(declaration.backoffMs) || declaration.backoffMs < 0) {
    throw new Error(`Job ${declaration.name}: backoffMs must be a non-negative integer`);
  }
}

/** Turns a thrown value into the text stored as the job's last error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

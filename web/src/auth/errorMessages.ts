import { ApiError } from '../api/apiError';

/** Codes of docs/design/accounts-api.md that have their own translated message (errors.<code>). */
export const KNOWN_ERROR_CODES = [
  'validation_failed',
  'consent_required',
  'invalid_password',
  'rate_limited',
  'invalid_token',
  'invalid_credentials',
  'email_not_verified',
  'account_deactivated',
  'account_locked',
  'refresh_invalid',
  'csrf_failed',
  'wrong_password',
  'session_not_found',
  'application_pending',
  'already_instructor',
  'application_not_found',
  'cannot_change_self',
  'forbidden',
  'unauthenticated',
  'token_expired',
  // docs/design/catalog-api.md
  'not_found',
  'not_enrolled',
  'already_enrolled',
  'payment_required',
  'review_exists',
  'already_reported',
  'publish_checklist_failed',
  'curriculum_mismatch',
  'invalid_image',
  'unsupported_image_type',
  'image_too_small',
  'cover_superseded',
  'payload_too_large',
  'empty_file',
  'invalid_file_name',
  'course_taken_down',
  'own_course',
  'course_not_found',
  'lesson_not_found',
  'section_not_found',
  'review_not_found',
] as const;

export type KnownErrorCode = (typeof KNOWN_ERROR_CODES)[number];
export type ErrorMessageKey = `errors.${KnownErrorCode}` | 'errors.network' | 'errors.unknown';

export interface ErrorDescription {
  key: ErrorMessageKey;
  values?: { minutes: number };
}

function isKnownCode(code: string | undefined): code is KnownErrorCode {
  return code !== undefined && (KNOWN_ERROR_CODES as readonly string[]).includes(code);
}

/** The translation key (and its values) for any error a form can meet. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof ApiError) {
    if (error.code === 'account_locked' || error.code === 'rate_limited') {
      const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
      return { key: `errors.${error.code}`, values: { minutes } };
    }
    if (isKnownCode(error.code)) return { key: `errors.${error.code}` };
    return { key: 'errors.unknown' };
  }
  // fetch rejects with a TypeError when the network or the server is unreachable.
  if (error instanceof TypeError) return { key: 'errors.network' };
  return { key: 'errors.unknown' };
}

function fieldName(path: unknown): string | undefined {
  if (Array.isArray(path)) {
    const last = path.filter((part) => typeof part === 'string').at(-1);
    return typeof last === 'string' ? last : undefined;
  }
  if (typeof path !== 'string' || path === '') return undefined;
  // "/body/email", "body.email", "email"
  const parts = path.split(/[/.]/).filter((part) => part !== '' && part !== 'body');
  return parts.at(-1);
}

function fromIssue(issue: unknown): [string, string] | undefined {
  if (typeof issue !== 'object' || issue === null) return undefined;
  const record = issue as Record<string, unknown>;
  let name = fieldName(record.field ?? record.path ?? record.instancePath);
  // ajv reports a missing property on its parent, naming it in params.missingProperty.
  const params = record.params as Record<string, unknown> | undefined;
  if (typeof params?.missingProperty === 'string') name = params.missingProperty;
  if (!name) return undefined;
  return [name, typeof record.message === 'string' ? record.message : ''];
}

/**
 * Per-field problems from a validation_failed `details`, whichever common
 * shape the server uses: a list of issues ({path|field|instancePath, message}),
 * {issues|errors|fields: ...}, or a plain {field: message} object.
 */
export function fieldErrorsFromDetails(details: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  const add = (entry: [string, string] | undefined) => {
    if (entry && !(entry[0] in result)) result[entry[0]] = entry[1];
  };
  if (Array.isArray(details)) {
    for (const issue of details) add(fromIssue(issue));
    return result;
  }
  if (typeof details !== 'object' || details === null) return result;
  const record = details as Record<string, unknown>;
  for (const nested of ['issues', 'errors', 'fields']) {
    if (nested in record) return fieldErrorsFromDetails(record[nested]);
  }
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') add([key, value]);
    else if (Array.isArray(value) && typeof value[0] === 'string') add([key, value[0]]);
  }
  return result;
}

/** Where a form should go after signing in: only same-site paths, never "//host" or a URL. */
export function safeNextPath(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}

export type PasswordStrength = 'tooShort' | 'tooLong' | 'weak' | 'fair' | 'strong';

/** A hint, not a rule: the server enforces only the 10–128 length (after NFC). */
export function passwordStrength(password: string, min = 10, max = 128): PasswordStrength {
  const length = [...password.normalize('NFC')].length;
  if (length < min) return 'tooShort';
  if (length > max) return 'tooLong';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  const score = classes + (length >= 14 ? 1 : 0) + (length >= 20 ? 1 : 0);
  if (score >= 4) return 'strong';
  if (score >= 2) return 'fair';
  return 'weak';
}

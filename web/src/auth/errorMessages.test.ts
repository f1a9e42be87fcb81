import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import ko from '../i18n/ko.json';
import { ApiError, apiErrorFrom, parseRetryAfter } from '../api/apiError';
import {
  describeError,
  fieldErrorsFromDetails,
  KNOWN_ERROR_CODES,
  passwordStrength,
  safeNextPath,
} from './errorMessages';

const apiError = (status: number, code: string | undefined, retryAfter?: number, details?: unknown) =>
  new ApiError(status, code, details, retryAfter, 'test');

describe('describeError', () => {
  it('maps each login error code to its own message', () => {
    expect(describeError(apiError(401, 'invalid_credentials'))).toEqual({ key: 'errors.invalid_credentials' });
    expect(describeError(apiError(403, 'email_not_verified'))).toEqual({ key: 'errors.email_not_verified' });
    expect(describeError(apiError(403, 'account_deactivated'))).toEqual({ key: 'errors.account_deactivated' });
  });

  it('turns Retry-After into whole minutes for account_locked and rate_limited', () => {
    expect(describeError(apiError(429, 'account_locked', 120))).toEqual({
      key: 'errors.account_locked',
      values: { minutes: 2 },
    });
    expect(describeError(apiError(429, 'account_locked', 61)).values).toEqual({ minutes: 2 });
    expect(describeError(apiError(429, 'rate_limited', 5)).values).toEqual({ minutes: 1 });
    expect(describeError(apiError(429, 'rate_limited')).values).toEqual({ minutes: 1 });
  });

  it('falls back for unknown codes, network failures and anything else', () => {
    expect(describeError(apiError(500, 'internal'))).toEqual({ key: 'errors.unknown' });
    expect(describeError(apiError(502, undefined))).toEqual({ key: 'errors.unknown' });
    expect(describeError(new TypeError('Failed to fetch'))).toEqual({ key: 'errors.network' });
    expect(describeError('weird')).toEqual({ key: 'errors.unknown' });
  });

  it('has an English and a Korean message for every known code', () => {
    for (const code of KNOWN_ERROR_CODES) {
      expect(en.errors[code], code).toBeTruthy();
      expect(ko.errors[code], code).toBeTruthy();
    }
  });
});

describe('apiErrorFrom', () => {
  it('reads code, details and Retry-After from the standard error body', () => {
    const error = apiErrorFrom('POST /api/v1/auth/login', 429, new Headers({ 'Retry-After': '300' }), {
      error: { code: 'account_locked', message: 'locked', details: { until: 'x' } },
    });
    expect(error).toMatchObject({ status: 429, code: 'account_locked', retryAfter: 300, details: { until: 'x' } });
  });
  it('copes with a body that is not an error body', () => {
    expect(apiErrorFrom('GET /x', 502, new Headers(), '<html>')).toMatchObject({ code: undefined });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('60')).toBe(60);
    expect(parseRetryAfter(new Date(10_000 + 90_000).toUTCString(), 10_000)).toBe(90);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('fieldErrorsFromDetails', () => {
  it('reads lists of issues with path, field or ajv instancePath', () => {
    expect(
      fieldErrorsFromDetails([
        { path: ['email'], message: 'bad email' },
        { field: 'displayName', message: 'too long' },
        { instancePath: '/body/password', message: 'short' },
        { instancePath: '', params: { missingProperty: 'locale' }, message: 'required' },
      ]),
    ).toEqual({ email: 'bad email', displayName: 'too long', password: 'short', locale: 'required' });
  });
  it("reads the server's {issues: [{in, path, message}]} with JSON-pointer paths", () => {
    expect(
      fieldErrorsFromDetails({
        issues: [
          { in: 'body', path: '/email', message: 'Invalid email' },
          { in: 'body', path: '/consents/terms', message: 'Expected true' },
        ],
      }),
    ).toEqual({ email: 'Invalid email', terms: 'Expected true' });
  });
  it('reads nested issues and plain field maps', () => {
    expect(fieldErrorsFromDetails({ issues: [{ path: 'body.email', message: 'x' }] })).toEqual({ email: 'x' });
    expect(fieldErrorsFromDetails({ fields: { email: 'x', password: ['y', 'z'] } })).toEqual({
      email: 'x',
      password: 'y',
    });
  });
  it('keeps the first problem per field and ignores what it cannot read', () => {
    expect(
      fieldErrorsFromDetails([
        { path: 'email', message: 'first' },
        { path: 'email', message: 'second' },
      ]),
    ).toEqual({ email: 'first' });
    expect(fieldErrorsFromDetails(undefined)).toEqual({});
    expect(fieldErrorsFromDetails('text')).toEqual({});
    expect(fieldErrorsFromDetails([null, 3, { message: 'no path' }])).toEqual({});
  });
});

describe('safeNextPath', () => {
  it('allows same-site paths only', () => {
    expect(safeNextPath('/settings?tab=1')).toBe('/settings?tab=1');
    expect(safeNextPath('//evil.example/x')).toBe('/');
    expect(safeNextPath('/\\evil.example')).toBe('/');
    expect(safeNextPath('https://evil.example')).toBe('/');
    expect(safeNextPath(null)).toBe('/');
  });
});

describe('passwordStrength', () => {
  it('applies the 10–128 length rule after NFC', () => {
    expect(passwordStrength('short')).toBe('tooShort');
    expect(passwordStrength('a'.repeat(129))).toBe('tooLong');
    // Ten decomposed Hangul syllables are twenty code points but ten characters after NFC.
    expect(passwordStrength('\u1100\u1161'.repeat(10))).not.toBe('tooShort');
    expect(passwordStrength('\u1100\u1161'.repeat(5))).toBe('tooShort');
  });
  it('grades variety and length', () => {
    expect(passwordStrength('aaaaaaaaaa')).toBe('weak');
    expect(passwordStrength('aaaaaaaaa1')).toBe('fair');
    expect(passwordStrength('Correct-Horse-9-battery')).toBe('strong');
  });
});

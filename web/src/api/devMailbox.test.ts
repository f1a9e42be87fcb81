import { describe, expect, it } from 'vitest';
import { ApiError, errorCode, isMailboxUnavailable, isMailNotFound, retryUnlessClientError } from './devMailbox';

describe('errorCode', () => {
  it('reads the code of a standard error body', () => {
    expect(errorCode({ error: { code: 'mail_not_found', message: 'No such message.' } })).toBe('mail_not_found');
  });

  it.each([undefined, null, 'Not Found', {}, { error: 'x' }, { error: { code: 404 } }])(
    'gives undefined for %j',
    (body) => {
      expect(errorCode(body)).toBeUndefined();
    },
  );
});

describe('error classification', () => {
  it('treats the generic 404 of a production server as "no dev mailbox"', () => {
    expect(isMailboxUnavailable(new ApiError(404, 'not_found', ''))).toBe(true);
    expect(isMailboxUnavailable(new ApiError(404, 'mail_not_found', ''))).toBe(false);
    expect(isMailboxUnavailable(new ApiError(500, 'internal', ''))).toBe(false);
    expect(isMailboxUnavailable(new TypeError('Failed to fetch'))).toBe(false);
  });

  it('treats an unknown or malformed message id as a missing message', () => {
    expect(isMailNotFound(new ApiError(404, 'mail_not_found', ''))).toBe(true);
    expect(isMailNotFound(new ApiError(400, 'validation_failed', ''))).toBe(true);
    expect(isMailNotFound(new ApiError(404, 'not_found', ''))).toBe(false);
  });

  it('retries network and server failures once, client errors never', () => {
    expect(retryUnlessClientError(0, new ApiError(404, 'not_found', ''))).toBe(false);
    expect(retryUnlessClientError(0, new ApiError(503, undefined, ''))).toBe(true);
    expect(retryUnlessClientError(1, new ApiError(503, undefined, ''))).toBe(false);
    expect(retryUnlessClientError(0, new TypeError('Failed to fetch'))).toBe(true);
  });
});

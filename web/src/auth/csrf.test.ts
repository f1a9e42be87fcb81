import { describe, expect, it } from 'vitest';
import { readCookie } from './csrf';

describe('readCookie', () => {
  it('finds a cookie among others', () => {
    expect(readCookie('a=1; lectio_csrf=abc123; b=2', 'lectio_csrf')).toBe('abc123');
  });
  it('is undefined when absent or empty', () => {
    expect(readCookie('', 'lectio_csrf')).toBeUndefined();
    expect(readCookie('other=1', 'lectio_csrf')).toBeUndefined();
    expect(readCookie('lectio_csrf=', 'lectio_csrf')).toBeUndefined();
  });
  it('does not match a cookie whose name only ends with the name', () => {
    expect(readCookie('x_lectio_csrf=nope', 'lectio_csrf')).toBeUndefined();
  });
  it('decodes percent-encoding, keeps "=" inside values and strips quotes', () => {
    expect(readCookie('lectio_csrf=a%2Fb%3D', 'lectio_csrf')).toBe('a/b=');
    expect(readCookie('lectio_csrf=abc==', 'lectio_csrf')).toBe('abc==');
    expect(readCookie('lectio_csrf="quoted"', 'lectio_csrf')).toBe('quoted');
  });
  it('keeps a malformed escape as it is', () => {
    expect(readCookie('lectio_csrf=%E0%A4%A', 'lectio_csrf')).toBe('%E0%A4%A');
  });
});

import fc from 'fast-check';

/**
 * The hostile inputs the fuzzer draws from. Fixed lists cover the cases that found bugs elsewhere
 * (NUL in text, integer overflow of int4 columns, lone surrogates); random strings cover the rest.
 */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202eevil\u202c',
  'שלום עולם',
  'e\u0301\u0301\u0301',
  'Z\u0334\u0321\u031b\u031b\u0359',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\ufeff',
  '\u2028\u2029',
  '\uffff',
  '파이썬 입문',
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  "1' UNION SELECT NULL, version() --",
  '" OR ""="',
  '%',
  '_',
  '\\',
  "\\'",
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '....//....//',
  '%2e%2e%2f%2e%2e%2f',
  '/etc/passwd',
  'file:///etc/passwd',
  '{{7*7}}',
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  '-1',
  '0',
  '-0',
  '1e309',
  'NaN',
  'Infinity',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '0x10',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{00000000-0000-0000-0000-000000000000}',
  '9999-12-31',
  '0000-00-00',
  '2026-02-30',
  '275760-09-13T00:00:00.001Z',
  'a@b',
  'a@' + 'b'.repeat(300) + '.com',
];

/** Header-safe: what undici lets a client send (no CR, LF, NUL; Latin-1 only). */
export const headerSafe = (s: string): boolean => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);

export const NASTY_NUMBERS: readonly number[] = [
  -1,
  0,
  -0,
  0.5,
  1.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 63,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  -1e308,
  Number.MIN_VALUE,
];

const longString = fc
  .tuple(fc.constantFrom('x', 'é', '💩', '\u0000', "'"), fc.constantFrom(101, 257, 1001, 5001, 65_537))
  .map(([c, n]) => c.repeat(n));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: longString },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
);

/** Nested arrays/objects `depth` deep, as JSON text (JSON.stringify would recurse that deep itself). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Any JSON value of the wrong kind: what a confused or hostile client puts where a field goes. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, [[[]]], JSON.parse('{"__proto__":{"role":"admin"}}')) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/**
 * Percent-encodes every code point as UTF-8, lone surrogates included (as the invalid three-byte
 * sequences WTF-8 would give them): encodeURIComponent throws on those, a hostile client does not.
 */
export function percentEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9\-_.~]$/.test(ch)) {
      out += ch;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/** Already-encoded URL pieces that no string encodes to: bad escapes, overlong UTF-8, raw dots. */
export const RAW_URL_PIECES: readonly string[] = [
  '%',
  '%zz',
  '%C0%AF',
  '%FF%FE',
  '%00',
  '%ED%A0%80',
  '..',
  '.',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%252e%252e',
  'a;b',
  'a%3Bjsessionid=1',
];

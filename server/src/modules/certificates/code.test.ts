import { describe, expect, it } from 'vitest';
import { generateCertificateCode, normalizeCertificateCode } from './code.js';

const FORMAT = /^LC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

describe('certificate codes', () => {
  it('are LC- and three groups of four Crockford base32 characters, different every time', () => {
    const codes = Array.from({ length: 2000 }, () => generateCertificateCode());
    for (const code of codes) expect(code).toMatch(FORMAT);
    expect(new Set(codes).size).toBe(codes.length);
    // Every one of the 32 symbols turns up: the 60 bits are spread over the whole alphabet.
    expect(new Set(codes.join('').replace(/LC|-/g, '')).size).toBe(32);
  });

  it('map random bytes to symbols by their low five bits', () => {
    const bytes = Buffer.from([0, 1, 31, 32, 10, 18, 255, 224, 9, 27, 16, 17]);
    expect(generateCertificateCode(() => bytes)).toBe('LC-01Z0-AJZ0-9VGH');
  });

  it('read back what a person typed: any case, spaces or missing dashes, O for 0 and I/L for 1', () => {
    expect(normalizeCertificateCode('LC-7K3M-9QXA-2BDF')).toBe('LC-7K3M-9QXA-2BDF');
    expect(normalizeCertificateCode('lc 7k3m 9qxa 2bdf')).toBe('LC-7K3M-9QXA-2BDF');
    expect(normalizeCertificateCode('LC7K3M9QXA2BDF')).toBe('LC-7K3M-9QXA-2BDF');
    expect(normalizeCertificateCode('LC-OIL0-0000-0000')).toBe('LC-0110-0000-0000');
  });

  it('refuse anything that cannot be a code', () => {
    for (const bad of [
      '',
      'LC-',
      'LC-7K3M-9QXA-2BD',
      'LC-7K3M-9QXA-2BDFX',
      'XX-7K3M-9QXA-2BDF',
      'LC-7K3M-9QXA-2BDU',
      'LC-7K3M-9QXA-2BD!',
      `LC-${'0'.repeat(80)}`,
      '../../etc/passwd',
    ]) {
      expect(normalizeCertificateCode(bad), bad).toBeUndefined();
    }
  });
});

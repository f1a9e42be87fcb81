import { randomBytes } from 'node:crypto';

/**
 * Crockford's base32: no I, L, O or U, so a code read aloud or copied from paper by hand cannot be
 * mistaken for another (1/I/L and 0/O decode to the same digit).
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const LENGTH = GROUPS * GROUP_LENGTH;

/**
 * A certificate's public id, `LC-7K3M-9QXA-2BDF`: 60 bits from the system's random source, so
 * nobody finds certificates by counting, and grouped by four so a person can read and type it.
 */
export function generateCertificateCode(random: (size: number) => Buffer = randomBytes): string {
  // One byte per character, keeping its low five bits: 256 is a multiple of 32, so no bias.
  const bytes = random(LENGTH);
  let chars = '';
  for (let i = 0; i < LENGTH; i++) chars += ALPHABET[bytes[i]! & 31];
  return canonical(chars);
}

function canonical(chars: string): string {
  const groups: string[] = [];
  for (let i = 0; i < LENGTH; i += GROUP_LENGTH) groups.push(chars.slice(i, i + GROUP_LENGTH));
  return `LC-${groups.join('-')}`;
}

/**
 * The canonical code for what someone typed or scanned, or undefined when it cannot be one (the
 * route then answers 404 without a query). Forgiving the way Crockford intends: any case, spaces
 * or dashes anywhere, O read as 0 and I/L as 1.
 */
export function normalizeCertificateCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  let body = input.toUpperCase().replace(/[\s-]+/g, '');
  if (!body.startsWith('LC')) return undefined;
  body = body.slice(2).replace(/O/g, '0').replace(/[IL]/g, '1');
  if (body.length !== LENGTH) return undefined;
  for (const char of body) if (!ALPHABET.includes(char)) return undefined;
  return canonical(body);
}

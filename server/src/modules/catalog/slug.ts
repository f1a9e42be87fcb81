import { randomBytes } from 'node:crypto';

const MAX_SLUG_LENGTH = 60;

/**
 * A URL slug from a course title. Hangul syllables are kept as they are (a Korean title gives a
 * readable Korean URL, percent-encoded on the wire); Latin letters and digits are lower-cased,
 * accents dropped; everything else becomes a single hyphen.
 */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    // Combining marks left by NFKD (é → e + ́) go; NFKD splits Hangul too, so recompose it after.
    .replace(/[\u0300-\u036f]/g, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^a-z0-9\uac00-\ud7a3]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = slug.slice(0, MAX_SLUG_LENGTH).replace(/-+$/, '');
  return cut || 'course';
}

/** The slug tried after a collision: the base plus a short random suffix. */
export function withRandomSuffix(base: string): string {
  return `${base.slice(0, MAX_SLUG_LENGTH - 7)}-${randomBytes(4).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6).toLowerCase()}`;
}

import type { z } from 'zod';
import type { AttachmentRow, CardRow, CourseRow } from './repository.js';
import type { attachmentSchema, courseCardSchema, coverImageSchema } from './schemas.js';

export type CoverImage = z.infer<typeof coverImageSchema>;
export type CourseCard = z.infer<typeof courseCardSchema>;
export type AttachmentView = z.infer<typeof attachmentSchema>;

/** Rendered widths of a cover, 16:9; an upload gets those not wider than what it can fill. */
export const COVER_WIDTHS = [320, 640, 960, 1280] as const;
export const COVER_ASPECT = { width: 16, height: 9 } as const;
export const COVER_FORMATS = { webp: 'image/webp', jpg: 'image/jpeg' } as const;

/**
 * A cover's storage prefix names its course, its version (a new upload never reuses a URL, so
 * the files can be cached for ever) and its widest rendition (so the srcset is known without
 * listing storage): `covers/<courseId>/v<version>-w<maxWidth>`.
 */
export function coverPrefix(courseId: string, version: number, maxWidth: number): string {
  return `covers/${courseId}/v${version}-w${maxWidth}`;
}

const COVER_PREFIX = /^covers\/([0-9a-f-]{36})\/(v\d+-w(\d+))$/;

/** Builds URLs of the public media route: `<base>/media/covers/<courseId>/<variant>/<width>.<ext>`. */
export function coverImage(coverKey: string | null, alt: string, mediaBaseUrl: string): CoverImage | null {
  const match = coverKey ? COVER_PREFIX.exec(coverKey) : null;
  if (!match) return null;
  const [, courseId, variant, max] = match;
  const widths = COVER_WIDTHS.filter((w) => w <= Number(max));
  const largest = widths[widths.length - 1];
  if (!largest) return null;
  const url = (w: number, ext: keyof typeof COVER_FORMATS) =>
    `${mediaBaseUrl}/media/covers/${courseId}/${variant}/${w}.${ext}`;
  const srcset = (ext: keyof typeof COVER_FORMATS) => widths.map((w) => `${url(w, ext)} ${w}w`).join(', ');
  const fallbackWidth = widths.includes(640) ? 640 : largest;
  return {
    alt,
    width: largest,
    height: Math.round((largest * COVER_ASPECT.height) / COVER_ASPECT.width),
    fallback: url(fallbackWidth, 'jpg'),
    sources: [
      { type: 'image/webp', srcset: srcset('webp') },
      { type: 'image/jpeg', srcset: srcset('jpg') },
    ],
  };
}

export function priceOf(row: Pick<CourseRow, 'priceAmount' | 'currency'>) {
  return row.priceAmount === null ? null : { amount: row.priceAmount, currency: row.currency };
}

export function toCourseCard(row: CardRow, mediaBaseUrl: string): CourseCard {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    subtitle: row.subtitle,
    level: row.level,
    language: row.language,
    price: priceOf(row),
    isFree: row.priceAmount === 0,
    cover: coverImage(row.coverKey, row.title, mediaBaseUrl),
    instructor: { id: row.instructorId, displayName: row.instructorName },
    category:
      row.categoryId && row.categorySlug
        ? {
            id: row.categoryId,
            slug: row.categorySlug,
            nameKo: row.categoryNameKo ?? '',
            nameEn: row.categoryNameEn ?? '',
          }
        : null,
    tags: row.tags,
    rating: { average: Number(row.ratingAverage), count: row.ratingCount },
    enrollmentCount: row.enrollmentCount,
    publishedAt: row.publishedAt?.toISOString() ?? null,
  };
}

export function toAttachmentView(row: AttachmentRow): AttachmentView {
  return {
    id: row.id,
    fileName: row.fileName,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt.toISOString(),
  };
}

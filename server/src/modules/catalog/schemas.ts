import { z } from 'zod';
import { lessonVideoSchema } from '../videos/schemas.js';

/** Request and response shapes of the catalog, studio and course-admin routes (docs/design/catalog-api.md). */

export const levelSchema = z.enum(['beginner', 'intermediate', 'advanced', 'all']);
export const languageSchema = z.enum(['ko', 'en']);
export const currencySchema = z.enum(['KRW', 'USD']);
export const lessonTypeSchema = z.enum(['video', 'text', 'attachment']);
export const courseStatusSchema = z.enum(['draft', 'published', 'archived']);

export const priceSchema = z
  .object({
    /** Minor units of the currency: KRW has none, USD counts cents. 0 is free. */
    amount: z.number().int().min(0).max(1_000_000_000),
    currency: currencySchema,
  })
  .meta({ id: 'Price' });

export const coverImageSchema = z
  .object({
    alt: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    fallback: z.string().describe('JPEG URL for browsers without srcset support'),
    sources: z.array(z.object({ type: z.enum(['image/webp', 'image/jpeg']), srcset: z.string() })),
  })
  .meta({ id: 'CoverImage' });

const categoryRefSchema = z.object({
  id: z.string().uuid(),
  slug: z.string(),
  nameKo: z.string(),
  nameEn: z.string(),
});

export const courseCardSchema = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    title: z.string(),
    subtitle: z.string(),
    level: levelSchema,
    language: languageSchema,
    price: priceSchema.nullable(),
    isFree: z.boolean(),
    cover: coverImageSchema.nullable(),
    instructor: z.object({ id: z.string().uuid(), displayName: z.string() }),
    category: categoryRefSchema.nullable(),
    tags: z.array(z.string()),
    rating: z.object({ average: z.number(), count: z.number().int() }),
    enrollmentCount: z.number().int(),
    publishedAt: z.string().datetime().nullable(),
  })
  .meta({ id: 'CourseCard' });

const publicLessonSchema = z.object({
  id: z.string().uuid(),
  title: z.string(),
  type: lessonTypeSchema,
  position: z.number().int(),
  isFreePreview: z.boolean(),
  durationSeconds: z.number().int(),
});

export const courseDetailSchema = courseCardSchema
  .extend({
    description: z.string().describe('Markdown; render it without raw HTML'),
    status: courseStatusSchema,
    sections: z.array(
      z.object({
        id: z.string().uuid(),
        title: z.string(),
        position: z.number().int(),
        lessons: z.array(publicLessonSchema),
      }),
    ),
    totalDurationSeconds: z.number().int(),
    lessonCount: z.number().int(),
    ratingDistribution: z.object({
      1: z.number().int(),
      2: z.number().int(),
      3: z.number().int(),
      4: z.number().int(),
      5: z.number().int(),
    }),
    instructor: z.object({ id: z.string().uuid(), displayName: z.string(), courseCount: z.number().int() }),
    viewer: z
      .object({ enrolled: z.boolean(), wishlisted: z.boolean(), isOwner: z.boolean() })
      .optional()
      .describe('Only for a signed-in caller; never cached'),
  })
  .meta({ id: 'CourseDetail' });

export interface CategoryLeaf {
  id: string;
  slug: string;
  nameKo: string;
  nameEn: string;
  /** Published courses in this category (for a top category, its subcategories' too). */
  courseCount: number;
}
export interface CategoryNode extends CategoryLeaf {
  children: CategoryLeaf[];
}

const categoryLeafSchema = categoryRefSchema.extend({ courseCount: z.number().int() });
export const categoryNodeSchema = categoryLeafSchema
  .extend({ children: z.array(categoryLeafSchema) })
  .meta({ id: 'CategoryNode' });

export const instructorPageSchema = z
  .object({
    id: z.string().uuid(),
    displayName: z.string(),
    courses: z.array(courseCardSchema),
    stats: z.object({
      courseCount: z.number().int(),
      studentCount: z.number().int(),
      ratingAverage: z.number(),
      ratingCount: z.number().int(),
    }),
  })
  .meta({ id: 'InstructorPage' });

export const attachmentSchema = z
  .object({
    id: z.string().uuid(),
    fileName: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'LessonAttachment' });

export const lessonContentSchema = z
  .object({
    id: z.string().uuid(),
    courseId: z.string().uuid(),
    sectionId: z.string().uuid(),
    title: z.string(),
    type: lessonTypeSchema,
    position: z.number().int(),
    isFreePreview: z.boolean(),
    durationSeconds: z.number().int(),
    body: z.string().describe('Markdown; render it without raw HTML'),
    videoId: z.string().uuid().nullable(),
    video: lessonVideoSchema
      .nullable()
      .describe('A video lesson’s video (its URLs once ready); null for other lessons or before one is linked'),
    attachments: z.array(attachmentSchema),
  })
  .meta({ id: 'LessonContent' });

export const downloadLinkSchema = z
  .object({ url: z.string(), expiresAt: z.string().datetime() })
  .meta({ id: 'DownloadLink' });

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
};

export const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

// ---- Studio ----

const titleSchema = z.string().trim().min(1).max(120);
const tagsSchema = z
  .array(z.string().trim().min(1).max(30))
  .max(10)
  .describe('At most 10; duplicates (ignoring case) are dropped');

export const courseInputSchema = z.object({
  title: titleSchema,
  subtitle: z.string().trim().max(200).optional(),
  description: z.string().max(50_000).optional().describe('Markdown'),
  level: levelSchema.optional(),
  language: languageSchema.optional(),
  price: priceSchema.nullable().optional(),
  categoryId: z.string().uuid().nullable().optional(),
  tags: tagsSchema.optional(),
});
export type CourseInput = z.infer<typeof courseInputSchema>;
export const coursePatchSchema = courseInputSchema.partial();
export type CoursePatch = z.infer<typeof coursePatchSchema>;

export const checklistCodeSchema = z.enum([
  'has_lesson',
  'price_set',
  'cover_set',
  'title_set',
  'category_set',
  'videos_ready',
]);
export const checklistSchema = z
  .object({ ready: z.boolean(), items: z.array(z.object({ code: checklistCodeSchema, ok: z.boolean() })) })
  .meta({ id: 'PublishChecklist' });

export const studioLessonSchema = publicLessonSchema
  .extend({ body: z.string(), videoId: z.string().uuid().nullable(), attachments: z.array(attachmentSchema) })
  .meta({ id: 'StudioLesson' });
export const studioSectionSchema = z
  .object({
    id: z.string().uuid(),
    title: z.string(),
    position: z.number().int(),
    lessons: z.array(studioLessonSchema),
  })
  .meta({ id: 'StudioSection' });

export const studioCourseSummarySchema = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    title: z.string(),
    status: courseStatusSchema,
    cover: coverImageSchema.nullable(),
    price: priceSchema.nullable(),
    lessonCount: z.number().int(),
    enrollmentCount: z.number().int(),
    takenDown: z.boolean(),
    publishedAt: z.string().datetime().nullable(),
    updatedAt: z.string().datetime(),
  })
  .meta({ id: 'StudioCourseSummary' });

export const studioCourseSchema = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    status: courseStatusSchema,
    title: z.string(),
    subtitle: z.string(),
    description: z.string(),
    level: levelSchema,
    language: languageSchema,
    price: priceSchema.nullable(),
    categoryId: z.string().uuid().nullable(),
    tags: z.array(z.string()),
    cover: coverImageSchema.nullable(),
    instructor: z.object({ id: z.string().uuid(), displayName: z.string() }),
    sections: z.array(studioSectionSchema),
    checklist: checklistSchema,
    takedown: z
      .object({ reason: z.string(), at: z.string().datetime() })
      .nullable()
      .describe('Set while an admin has taken the course down; publishing is refused until restored'),
    publishedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .meta({ id: 'StudioCourse' });

export const sectionInputSchema = z.object({ title: titleSchema });
export const lessonInputSchema = z.object({
  title: titleSchema,
  type: lessonTypeSchema,
  isFreePreview: z.boolean().optional(),
  durationSeconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600)
    .optional(),
  body: z.string().max(100_000).optional().describe('Markdown'),
});
export type LessonInput = z.infer<typeof lessonInputSchema>;
export const lessonPatchSchema = lessonInputSchema.partial().extend({
  videoId: z
    .string()
    .uuid()
    .nullable()
    .optional()
    .describe(
      'One of the instructor’s videos (404 video_not_found otherwise), or null to unlink; a ready video sets durationSeconds',
    ),
});
export type LessonPatch = z.infer<typeof lessonPatchSchema>;

export const curriculumInputSchema = z.object({
  sections: z.array(z.object({ id: z.string().uuid(), lessonIds: z.array(z.string().uuid()).max(1000) })).max(200),
});
export type CurriculumInput = z.infer<typeof curriculumInputSchema>;

// ---- Admin ----

export const adminCourseSchema = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    title: z.string(),
    status: courseStatusSchema,
    instructor: z.object({ id: z.string().uuid(), displayName: z.string() }),
    takedown: z.object({ reason: z.string(), at: z.string().datetime() }).nullable(),
    publishedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'AdminCourse' });

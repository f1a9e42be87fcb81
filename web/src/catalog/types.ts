// Shapes of the catalog, enrollments, reviews and search API (docs/design/catalog-api.md), taken
// from the schema generated from the server's OpenAPI document (npm run api:gen), so a change on
// the server that the pages do not follow fails the type check. Pages import them from here.
import type { components, paths } from '../api/schema';

type Schemas = components['schemas'];

export type CourseCard = Schemas['CourseCard'];
export type CourseDetail = Schemas['CourseDetail'];
export type CoverImage = Schemas['CoverImage'];
export type Price = Schemas['Price'];
export type Category = Schemas['CategoryNode'];
export type CategoryLeaf = Category['children'][number];
export type CategoryRef = NonNullable<CourseCard['category']>;
export type InstructorProfile = Schemas['InstructorPage'];
export type Lesson = Schemas['LessonContent'];
export type LessonAttachment = Schemas['LessonAttachment'];
export type LessonSummary = CourseDetail['sections'][number]['lessons'][number];
export type SectionSummary = CourseDetail['sections'][number];
export type RatingDistribution = CourseDetail['ratingDistribution'];
export type SearchResult = Schemas['SearchResult'];
export type SearchFacets = Schemas['SearchFacets'];
export type Suggestion = Schemas['SearchSuggestions']['items'][number];
export type Enrollment = Schemas['MyEnrollment'];
export type Review = Schemas['Review'];
export type ReviewAuthor = Review['author'];
export type AdminReview = Schemas['AdminReview'];
export type ReviewReport = Schemas['ReviewReport'];
export type Checklist = Schemas['PublishChecklist'];
export type ChecklistCode = Checklist['items'][number]['code'];
export type StudioLesson = Schemas['StudioLesson'];
export type StudioSection = Schemas['StudioSection'];
export type StudioCourse = Schemas['StudioCourse'];
export type StudioCourseSummary = Schemas['StudioCourseSummary'];
export type Takedown = NonNullable<StudioCourse['takedown']>;
export type AdminCourse = Schemas['AdminCourse'];

export type CourseLevel = CourseCard['level'];
export type CourseLanguage = CourseCard['language'];
export type Currency = Price['currency'];
export type LessonType = LessonSummary['type'];
export type CourseStatus = CourseDetail['status'];
export type SearchSort = 'relevance' | 'popular' | 'rating' | 'newest' | 'price_asc' | 'price_desc';
export type RatingStep = SearchFacets['rating'][number]['min'];

export const COURSE_LEVELS: readonly CourseLevel[] = ['beginner', 'intermediate', 'advanced', 'all'];
export const COURSE_LANGUAGES: readonly CourseLanguage[] = ['ko', 'en'];
export const CURRENCIES: readonly Currency[] = ['KRW', 'USD'];
export const LESSON_TYPES: readonly LessonType[] = ['video', 'text', 'attachment'];
export const COURSE_STATUSES: readonly CourseStatus[] = ['draft', 'published', 'archived'];
export const SEARCH_SORTS: readonly SearchSort[] = [
  'relevance',
  'popular',
  'rating',
  'newest',
  'price_asc',
  'price_desc',
];
export const RATING_STEPS: readonly RatingStep[] = [4, 3, 2, 1];

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type CourseSort = 'newest' | 'popular' | 'rating';
export type ReviewSort = 'newest' | 'highest' | 'lowest';
export type ReportState = 'open' | 'resolved' | 'all';

type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;

/** Body of PATCH /studio/courses/:id. */
export type CoursePatch = JsonBody<paths['/api/v1/studio/courses/{id}']['patch']>;

/** Body of PUT /studio/courses/:id/curriculum. */
export type CurriculumOrder = JsonBody<paths['/api/v1/studio/courses/{id}/curriculum']['put']>;

/** Longest title of a course, section or lesson the server takes. */
export const TITLE_MAX = 120;

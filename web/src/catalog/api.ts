// The catalog, enrollments, reviews and search API (docs/design/catalog-api.md).
// Every call goes through the session's fetch: signed-in callers send their token (so answers
// carry `viewer`), visitors call anonymously, and a 401 refreshes the token once.
import { apiErrorFrom } from '../api/apiError';
import { session } from '../auth/session';
import type {
  AdminCourse,
  Category,
  Checklist,
  CourseCard,
  CourseDetail,
  CoursePatch,
  CourseSort,
  CourseStatus,
  CoverImage,
  CurriculumOrder,
  Enrollment,
  InstructorProfile,
  Lesson,
  LessonAttachment,
  LessonType,
  Page,
  ReportState,
  Review,
  ReviewReport,
  ReviewSort,
  SearchResult,
  StudioCourse,
  StudioCourseSummary,
  StudioLesson,
  StudioSection,
  Suggestion,
} from './types';
import { searchQueryOf, type SearchState } from './searchState';

const BASE = '/api/v1';

type QueryValue = string | number | boolean | undefined | null;

/** `?a=1&b=2` from the defined values of `query` (empty when none). */
export function queryString(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function request<T>(
  method: string,
  path: string,
  options: { query?: Record<string, QueryValue>; body?: unknown; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // A string body, not a stream: the session may send it twice (after a token refresh).
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const url = `${BASE}${path}${queryString(options.query ?? {})}`;
  const response = await session.fetch(url, {
    method,
    headers,
    body: body ?? null,
    credentials: 'include',
    signal: options.signal ?? null,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw apiErrorFrom(`${method} ${path}`, response.status, response.headers, parsed);
  return parsed as T;
}

const segment = encodeURIComponent;

// ---- public catalog ----

export const fetchCategories = (signal?: AbortSignal) =>
  request<{ items: Category[] }>('GET', '/categories', { signal });

export const fetchCourses = (
  query: { category?: string | undefined; sort?: CourseSort; page?: number; pageSize?: number },
  signal?: AbortSignal,
) => request<Page<CourseCard>>('GET', '/courses', { query, signal });

export const fetchCourse = (slug: string, signal?: AbortSignal) =>
  request<CourseDetail>('GET', `/courses/${segment(slug)}`, { signal });

export const recordCourseView = (courseId: string) => request<void>('POST', `/courses/${segment(courseId)}/views`);

export const fetchInstructor = (id: string, signal?: AbortSignal) =>
  request<InstructorProfile>('GET', `/instructors/${segment(id)}`, { signal });

export const fetchLesson = (id: string, signal?: AbortSignal) =>
  request<Lesson>('GET', `/lessons/${segment(id)}`, { signal });

export const fetchAttachmentUrl = (lessonId: string, attachmentId: string) =>
  request<{ url: string; expiresAt: string }>(
    'GET',
    `/lessons/${segment(lessonId)}/attachments/${segment(attachmentId)}/download`,
  );

// ---- search ----

export const searchCourses = (state: SearchState, signal?: AbortSignal) =>
  request<SearchResult>('GET', '/search', { query: searchQueryOf(state), signal });

// The server takes at most 100 characters here; suggestions for more would not help anyway.
export const suggestCourses = (q: string, signal?: AbortSignal) =>
  request<{ items: Suggestion[] }>('GET', '/search/suggest', { query: { q: q.slice(0, 100) }, signal });

// ---- enrollments and wishlist ----

export const enroll = (courseId: string) => request<unknown>('POST', `/courses/${segment(courseId)}/enroll`);
export const fetchEnrollments = (page: number, signal?: AbortSignal) =>
  request<Page<Enrollment>>('GET', '/me/enrollments', { query: { page }, signal });
export const fetchWishlist = (page: number, signal?: AbortSignal) =>
  request<Page<CourseCard>>('GET', '/me/wishlist', { query: { page }, signal });
export const setWishlisted = (courseId: string, wishlisted: boolean) =>
  request<void>(wishlisted ? 'PUT' : 'DELETE', `/me/wishlist/${segment(courseId)}`);

// ---- reviews ----

export const fetchReviews = (courseId: string, query: { sort: ReviewSort; page: number }, signal?: AbortSignal) =>
  request<Page<Review>>('GET', `/courses/${segment(courseId)}/reviews`, { query, signal });
/** The caller's own review of a course (hidden or not), or null when there is none. */
export async function fetchMyReview(courseId: string, signal?: AbortSignal): Promise<Review | null> {
  const mine = await request<{ review: Review | null }>('GET', `/courses/${segment(courseId)}/reviews/mine`, {
    signal,
  });
  return mine.review;
}
export const createReview = (courseId: string, body: { rating: number; body: string }) =>
  request<Review>('POST', `/courses/${segment(courseId)}/reviews`, { body });
export const updateReview = (id: string, body: { rating: number; body: string }) =>
  request<Review>('PATCH', `/reviews/${segment(id)}`, { body });
export const replyToReview = (id: string, body: string) =>
  request<Review>('PUT', `/reviews/${segment(id)}/reply`, { body: { body } });
export const reportReview = (id: string, reason: string) =>
  request<void>('POST', `/reviews/${segment(id)}/report`, { body: { reason } });

// ---- studio ----

export const fetchStudioCourses = (signal?: AbortSignal) =>
  request<Page<StudioCourseSummary>>('GET', '/studio/courses', { query: { pageSize: 50 }, signal });
export const createStudioCourse = (body: { title: string }) =>
  request<StudioCourse>('POST', '/studio/courses', { body });
export const fetchStudioCourse = (id: string, signal?: AbortSignal) =>
  request<StudioCourse>('GET', `/studio/courses/${segment(id)}`, { signal });
export const updateStudioCourse = (id: string, body: CoursePatch) =>
  request<StudioCourse>('PATCH', `/studio/courses/${segment(id)}`, { body });
export const addSection = (courseId: string, title: string) =>
  request<StudioSection>('POST', `/studio/courses/${segment(courseId)}/sections`, { body: { title } });
export const renameSection = (id: string, title: string) =>
  request<StudioSection>('PATCH', `/studio/sections/${segment(id)}`, { body: { title } });
export const deleteSection = (id: string) => request<void>('DELETE', `/studio/sections/${segment(id)}`);
export const addLesson = (sectionId: string, body: { title: string; type: LessonType }) =>
  request<StudioLesson>('POST', `/studio/sections/${segment(sectionId)}/lessons`, { body });
export const updateLesson = (
  id: string,
  body: { title?: string; isFreePreview?: boolean; body?: string; durationSeconds?: number; videoId?: string | null },
) => request<StudioLesson>('PATCH', `/studio/lessons/${segment(id)}`, { body });
export const deleteLesson = (id: string) => request<void>('DELETE', `/studio/lessons/${segment(id)}`);
export const saveCurriculum = (courseId: string, order: CurriculumOrder) =>
  request<unknown>('PUT', `/studio/courses/${segment(courseId)}/curriculum`, { body: order });
export const fetchChecklist = (courseId: string, signal?: AbortSignal) =>
  request<Checklist>('GET', `/studio/courses/${segment(courseId)}/checklist`, { signal });
export const changeCourseStatus = (courseId: string, action: 'publish' | 'unpublish' | 'archive') =>
  request<unknown>('POST', `/studio/courses/${segment(courseId)}/${action}`);
export const deleteAttachment = (id: string) => request<void>('DELETE', `/studio/attachments/${segment(id)}`);

/**
 * Sends a file as the raw request body with upload progress (fetch cannot report it), the
 * session's token, and one retry after a token refresh when the first answer is 401.
 */
export function uploadFile<T>(
  method: 'PUT' | 'POST',
  path: string,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  const send = () =>
    new Promise<XMLHttpRequest>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, `${BASE}${path}`);
      xhr.withCredentials = true;
      const token = session.accessToken;
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new TypeError('upload failed'));
      xhr.send(file);
    });
  return (async () => {
    let xhr = await send();
    if (xhr.status === 401 && (await session.refresh())) xhr = await send();
    let parsed: unknown;
    try {
      parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
    } catch {
      parsed = undefined;
    }
    if (xhr.status < 200 || xhr.status >= 300) {
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader('Retry-After');
      if (retryAfter) headers.set('Retry-After', retryAfter);
      throw apiErrorFrom(`${method} ${path}`, xhr.status, headers, parsed);
    }
    onProgress(1);
    return parsed as T;
  })();
}

export const uploadCover = (courseId: string, file: File, onProgress: (fraction: number) => void) =>
  uploadFile<CoverImage>('PUT', `/studio/courses/${segment(courseId)}/cover`, file, onProgress);

export const uploadAttachment = (lessonId: string, file: File, onProgress: (fraction: number) => void) =>
  uploadFile<LessonAttachment>(
    'POST',
    `/studio/lessons/${segment(lessonId)}/attachments${queryString({ fileName: file.name })}`,
    file,
    onProgress,
  );

// ---- admin ----

export const fetchAdminCourses = (
  query: { status?: CourseStatus | undefined; q?: string | undefined; page: number },
  signal?: AbortSignal,
) => request<Page<AdminCourse>>('GET', '/admin/courses', { query, signal });
export const takedownCourse = (id: string, reason: string) =>
  request<unknown>('POST', `/admin/courses/${segment(id)}/takedown`, { body: { reason } });
export const restoreCourse = (id: string) => request<unknown>('POST', `/admin/courses/${segment(id)}/restore`);
export const fetchReviewReports = (query: { state: ReportState; page: number }, signal?: AbortSignal) =>
  request<Page<ReviewReport>>('GET', '/admin/reviews/reports', { query, signal });
export const hideReview = (id: string, reason: string) =>
  request<unknown>('POST', `/admin/reviews/${segment(id)}/hide`, { body: { reason } });
export const unhideReview = (id: string) => request<unknown>('POST', `/admin/reviews/${segment(id)}/unhide`);

/** Query keys: everything public under 'catalog', the caller's own data under 'me'/'studio'/'admin'. */
export const catalogKeys = {
  all: ['catalog'] as const,
  categories: ['catalog', 'categories'] as const,
  courses: (query: object) => ['catalog', 'courses', query] as const,
  course: (slug: string) => ['catalog', 'course', slug] as const,
  instructor: (id: string) => ['catalog', 'instructor', id] as const,
  lesson: (id: string) => ['catalog', 'lesson', id] as const,
  search: (state: SearchState) => ['catalog', 'search', state] as const,
  suggest: (q: string) => ['catalog', 'suggest', q] as const,
  reviews: (courseId: string, query: object) => ['catalog', 'reviews', courseId, query] as const,
  enrollments: (page: number) => ['me', 'enrollments', page] as const,
  wishlist: (page: number) => ['me', 'wishlist', page] as const,
  studioCourses: ['studio', 'courses'] as const,
  studioCourse: (id: string) => ['studio', 'course', id] as const,
  adminCourses: (query: object) => ['admin', 'courses', query] as const,
  reviewReports: (query: object) => ['admin', 'review-reports', query] as const,
  myReview: (courseId: string) => ['me', 'review', courseId] as const,
};

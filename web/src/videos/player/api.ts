// The learning API the player speaks (issue 6): playback grants, progress reports and the course
// progress a lesson page shows. Shapes are taken from the schema generated from the server's
// OpenAPI document (npm run api:gen), like catalog/types.ts.
import { apiErrorFrom } from '../../api/apiError';
import type { components, paths } from '../../api/schema';
import { session } from '../../auth/session';
import { request } from '../../catalog/api';

const segment = encodeURIComponent;

type Schemas = components['schemas'];
type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;

/**
 * POST /lessons/:id/playback: signed, expiring URLs of one lesson's video. `sessionId` is null for
 * an anonymous viewer of a free preview (no session, no progress).
 */
export type PlaybackGrant = Schemas['PlaybackGrant'];
/** `language` is a BCP 47 tag, e.g. `ko`, `en`. */
export type CaptionTrack = PlaybackGrant['captions'][number];

/** Body of POST /lessons/:id/progress. */
export type ProgressReport = JsonBody<paths['/api/v1/lessons/{lessonId}/progress']['post']>;
export type ProgressEvent = ProgressReport['event'];

export type CourseProgress = Schemas['CourseProgress'];
export type LessonProgress = CourseProgress['lessons'][number];

/** A new grant (no session id) or the renewal of `sessionId`. */
export const requestPlaybackGrant = (lessonId: string, sessionId?: string | null) =>
  request<PlaybackGrant>('POST', `/lessons/${segment(lessonId)}/playback`, {
    body: sessionId ? { sessionId } : {},
  });

export const fetchCourseProgress = (courseId: string, signal?: AbortSignal) =>
  request<CourseProgress>('GET', `/courses/${segment(courseId)}/progress`, { signal });

export const markLessonOpened = (lessonId: string) =>
  request<void>('POST', `/lessons/${segment(lessonId)}/progress/opened`);

/**
 * POST /lessons/:id/progress. `keepalive` lets the last report of a page that is going away
 * (pagehide, tab hidden before a close) reach the server after the page is gone.
 */
export async function sendProgress(
  lessonId: string,
  report: ProgressReport,
  options: { keepalive?: boolean } = {},
): Promise<{ completed: boolean }> {
  const path = `/lessons/${segment(lessonId)}/progress`;
  const response = await session.fetch(`/api/v1${path}`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(report),
    credentials: 'include',
    keepalive: options.keepalive ?? false,
  });
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw apiErrorFrom(`POST ${path}`, response.status, response.headers, parsed);
  return (parsed as { completed?: boolean } | undefined)?.completed === true
    ? { completed: true }
    : { completed: false };
}

export const playerKeys = {
  courseProgress: (courseId: string) => ['me', 'course-progress', courseId] as const,
};

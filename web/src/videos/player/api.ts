// The learning API the player speaks (issue 6): playback grants, progress reports and the course
// progress a lesson page shows. Shapes follow the contract in docs/design (playback, progress).
import { apiErrorFrom } from '../../api/apiError';
import { session } from '../../auth/session';
import { request } from '../../catalog/api';
import type { WatchedRange } from './watched-intervals';

const segment = encodeURIComponent;

export interface CaptionTrack {
  id: string;
  /** BCP 47, e.g. `ko`, `en`. */
  language: string;
  label: string;
  url: string;
}

/** POST /lessons/:id/playback: signed, expiring URLs of one lesson's video. */
export interface PlaybackGrant {
  /** Null for an anonymous viewer of a free preview (no session, no progress). */
  sessionId: string | null;
  lessonId: string;
  courseId: string;
  videoId: string;
  durationSeconds: number | null;
  expiresAt: string;
  renewAt: string;
  hlsUrl: string;
  posterUrl: string | null;
  storyboardUrl: string | null;
  captions: CaptionTrack[];
}

export type ProgressEvent = 'tick' | 'pause' | 'seek' | 'ended' | 'hidden';

export interface ProgressReport {
  sessionId: string;
  positionSeconds: number;
  watched: WatchedRange[];
  playbackRate: number;
  event: ProgressEvent;
}

export interface LessonProgress {
  lessonId: string;
  completed: boolean;
  positionSeconds: number;
  watchedSeconds: number;
  durationSeconds: number;
}

export interface CourseProgress {
  courseId: string;
  completedLessons: number;
  totalLessons: number;
  percent: number;
  completedAt: string | null;
  certificate: { code: string; url: string } | null;
  lessons: LessonProgress[];
}

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

// Progress and learning analytics (issue 6): My learning, and the studio's course analytics.
import { request } from '../catalog/api';
import type { CourseAnalytics, LessonRetention, MyLearning } from './types';

const segment = encodeURIComponent;

export const MY_LEARNING_PAGE_SIZE = 12;
/** Points of a retention curve: enough for a smooth line at any chart width, small to send. */
export const RETENTION_POINTS = 100;

export const fetchMyLearning = (page: number, signal?: AbortSignal) =>
  request<MyLearning>('GET', '/me/learning', { query: { page, pageSize: MY_LEARNING_PAGE_SIZE }, signal });

export const fetchCourseAnalytics = (courseId: string, signal?: AbortSignal) =>
  request<CourseAnalytics>('GET', `/studio/courses/${segment(courseId)}/analytics`, { signal });

export const fetchLessonRetention = (lessonId: string, signal?: AbortSignal) =>
  request<LessonRetention>('GET', `/studio/lessons/${segment(lessonId)}/retention`, {
    query: { points: RETENTION_POINTS },
    signal,
  });

export const learningKeys = {
  myLearning: (page: number) => ['me', 'learning', page] as const,
  analytics: (courseId: string) => ['studio', 'analytics', courseId] as const,
  retention: (lessonId: string) => ['studio', 'retention', lessonId] as const,
};

// Shapes of the progress and learning-analytics API (issue 6), taken from the schema generated
// from the server's OpenAPI document (npm run api:gen), like catalog/types.ts.
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type MyLearning = Schemas['MyLearning'];
export type ContinueWatchingItem = MyLearning['continueWatching'][number];
export type CourseProgressItem = MyLearning['courses']['items'][number];
/** A completed course's certificate; null until the certificate job has issued it. */
export type CertificateRef = NonNullable<CourseProgressItem['certificate']>;

export type CourseAnalytics = Schemas['CourseAnalytics'];
/**
 * `durationSeconds` is 0 for a lesson without a video; `completionRate` is the fraction 0–1 of the
 * course's students who completed the lesson.
 */
export type LessonAnalytics = CourseAnalytics['lessons'][number];

export type LessonRetention = Schemas['LessonRetention'];
/** `share`: fraction 0–1 of viewers whose watched intervals cover this second. */
export type RetentionPoint = LessonRetention['points'][number];

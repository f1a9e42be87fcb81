// Shapes of the progress and learning-analytics API (issue 6 contract, docs: helper brief).
// Written by hand while the server routes land; once they are in the OpenAPI document these
// should become aliases of the generated schema like catalog/types.ts.
import type { CoverImage, LessonType, Page } from '../catalog/types';

export interface ContinueWatchingItem {
  courseId: string;
  courseSlug: string;
  courseTitle: string;
  lessonId: string;
  lessonTitle: string;
  positionSeconds: number;
  durationSeconds: number;
  updatedAt: string;
  cover: CoverImage | null;
}

/** A completed course's certificate; null until the certificate job has issued it. */
export interface CertificateRef {
  code: string;
  url: string;
}

export interface CourseProgressItem {
  courseId: string;
  slug: string;
  title: string;
  cover: CoverImage | null;
  completedLessons: number;
  totalLessons: number;
  percent: number;
  lastActivityAt: string | null;
  completedAt: string | null;
  certificate: CertificateRef | null;
}

export interface MyLearning {
  continueWatching: ContinueWatchingItem[];
  courses: Page<CourseProgressItem>;
}

export interface LessonAnalytics {
  lessonId: string;
  title: string;
  type: LessonType;
  /** 0 for a lesson without a video. */
  durationSeconds: number;
  viewers: number;
  completions: number;
  /** Fraction 0–1 of the course's students who completed the lesson. */
  completionRate: number;
}

export interface CourseAnalytics {
  students: number;
  completedStudents: number;
  lessons: LessonAnalytics[];
}

export interface RetentionPoint {
  second: number;
  /** Fraction 0–1 of viewers whose watched intervals cover this second. */
  share: number;
}

export interface LessonRetention {
  lessonId: string;
  durationSeconds: number;
  viewers: number;
  points: RetentionPoint[];
}

/** A student has completed every lesson of a course. */
export interface CourseCompletion {
  userId: string;
  courseId: string;
  /** When the last lesson was completed: the date a certificate states. */
  completedAt: Date;
}

/**
 * Told when a student completes a course (implemented by the certificates module). Progress calls
 * it after the completing write is committed. It may be called again for the same student and
 * course (a retried flush, or a lesson added to the course and then completed too), so an
 * implementation must be idempotent — e.g. one certificate per student and course.
 */
export interface CourseCompletionListener {
  courseCompleted(completion: CourseCompletion): Promise<void>;
}

/** Until a real listener is wired, completions are only recorded in lesson_progress. */
export const ignoreCourseCompletions: CourseCompletionListener = {
  courseCompleted: async () => undefined,
};

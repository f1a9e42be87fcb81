/**
 * Other modules that change what a course page or list shows (reviews move the rating,
 * enrollments the student count) tell the catalog, which drops the cached detail and lists.
 * Implemented by the catalog module.
 */
export interface CatalogInvalidator {
  courseChanged(courseId: string): Promise<void>;
}

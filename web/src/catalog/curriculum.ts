// Reordering of the curriculum editor. Moves are made locally (instant, undoable by the opposite
// move) and the whole order is saved with one PUT, which the server checks names exactly the
// course's sections and lessons.
import type { CurriculumOrder } from './types';

export interface OrderedSection<Lesson extends { id: string }> {
  id: string;
  lessons: Lesson[];
}

function swap<T>(items: readonly T[], a: number, b: number): T[] {
  const copy = [...items];
  const first = copy[a];
  const second = copy[b];
  if (first === undefined || second === undefined) return copy;
  copy[a] = second;
  copy[b] = first;
  return copy;
}

/** The sections with the one at `index` moved by `delta` (-1 up, +1 down); unchanged at the ends. */
export function moveSection<S>(sections: readonly S[], index: number, delta: -1 | 1): S[] {
  const target = index + delta;
  if (index < 0 || index >= sections.length || target < 0 || target >= sections.length) return [...sections];
  return swap(sections, index, target);
}

/**
 * Moves one lesson up or down. Within its section it swaps with its neighbour; at the top of a
 * section, up takes it to the end of the previous section, and at the bottom, down takes it to
 * the start of the next one — so buttons alone can move a lesson anywhere.
 */
export function moveLesson<L extends { id: string }, S extends OrderedSection<L>>(
  sections: readonly S[],
  lessonId: string,
  delta: -1 | 1,
): S[] {
  const sectionIndex = sections.findIndex((section) => section.lessons.some((lesson) => lesson.id === lessonId));
  const section = sections[sectionIndex];
  if (!section) return [...sections];
  const lessonIndex = section.lessons.findIndex((lesson) => lesson.id === lessonId);
  const target = lessonIndex + delta;
  const result = [...sections];
  if (target >= 0 && target < section.lessons.length) {
    result[sectionIndex] = { ...section, lessons: swap(section.lessons, lessonIndex, target) };
    return result;
  }
  const neighbourIndex = sectionIndex + delta;
  const neighbour = sections[neighbourIndex];
  const lesson = section.lessons[lessonIndex];
  if (!neighbour || !lesson) return result;
  result[sectionIndex] = { ...section, lessons: section.lessons.filter((item) => item.id !== lessonId) };
  result[neighbourIndex] = {
    ...neighbour,
    lessons: delta < 0 ? [...neighbour.lessons, lesson] : [lesson, ...neighbour.lessons],
  };
  return result;
}

/** Whether a lesson can move that way at all (the first lesson of the first section cannot go up). */
export function canMoveLesson(
  sections: readonly OrderedSection<{ id: string }>[],
  lessonId: string,
  delta: -1 | 1,
): boolean {
  const sectionIndex = sections.findIndex((section) => section.lessons.some((lesson) => lesson.id === lessonId));
  const section = sections[sectionIndex];
  if (!section) return false;
  const lessonIndex = section.lessons.findIndex((lesson) => lesson.id === lessonId);
  const target = lessonIndex + delta;
  if (target >= 0 && target < section.lessons.length) return true;
  return sections[sectionIndex + delta] !== undefined;
}

/** The body of PUT /studio/courses/:id/curriculum for this order. */
export function curriculumOrder(sections: readonly OrderedSection<{ id: string }>[]): CurriculumOrder {
  return { sections: sections.map((section) => ({ id: section.id, lessonIds: section.lessons.map((l) => l.id) })) };
}

/** Whether two orders differ (so Save is offered only when there is something to save). */
export function sameOrder(a: CurriculumOrder, b: CurriculumOrder): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The server's sections shown in a locally changed order. Sections and lessons the order does
 * not know (just added) go last; ones that no longer exist (just deleted) are dropped — so an
 * unsaved reordering survives other edits that refetch the course.
 */
export function applyOrder<L extends { id: string }, S extends OrderedSection<L>>(
  sections: readonly S[],
  order: CurriculumOrder | null,
): S[] {
  if (!order) return [...sections];
  const sectionById = new Map(sections.map((section) => [section.id, section]));
  const lessonById = new Map(
    sections.flatMap((section) => section.lessons.map((lesson) => [lesson.id, lesson] as const)),
  );
  const placed = new Set<string>();
  const result: S[] = [];
  for (const entry of order.sections) {
    const section = sectionById.get(entry.id);
    if (!section) continue;
    const lessons: L[] = [];
    for (const id of entry.lessonIds) {
      const lesson = lessonById.get(id);
      if (lesson && !placed.has(id)) {
        lessons.push(lesson);
        placed.add(id);
      }
    }
    result.push({ ...section, lessons });
  }
  for (const section of sections) {
    if (!order.sections.some((entry) => entry.id === section.id)) result.push({ ...section, lessons: [] });
  }
  // Lessons the order does not name stay in the section the server has them in.
  for (const section of sections) {
    const target = result.find((candidate) => candidate.id === section.id);
    if (!target) continue;
    for (const lesson of section.lessons) {
      if (!placed.has(lesson.id)) {
        target.lessons = [...target.lessons, lesson];
        placed.add(lesson.id);
      }
    }
  }
  return result;
}

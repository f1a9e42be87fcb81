import { describe, expect, it } from 'vitest';
import { canMoveLesson, curriculumOrder, moveLesson, moveSection, sameOrder } from './curriculum';

const course = () => [
  { id: 's1', title: 'Intro', lessons: [{ id: 'a' }, { id: 'b' }] },
  { id: 's2', title: 'Core', lessons: [{ id: 'c' }] },
  { id: 's3', title: 'Empty', lessons: [] as { id: string }[] },
];
const order = (sections: ReturnType<typeof course>) => curriculumOrder(sections).sections;

describe('curriculum reordering', () => {
  it('moves a section up and down, and not past the ends', () => {
    expect(moveSection(course(), 1, -1).map((s) => s.id)).toEqual(['s2', 's1', 's3']);
    expect(moveSection(course(), 0, 1).map((s) => s.id)).toEqual(['s2', 's1', 's3']);
    expect(moveSection(course(), 0, -1).map((s) => s.id)).toEqual(['s1', 's2', 's3']);
    expect(moveSection(course(), 2, 1).map((s) => s.id)).toEqual(['s1', 's2', 's3']);
  });

  it('swaps a lesson with its neighbour inside a section', () => {
    expect(order(moveLesson(course(), 'b', -1))).toEqual([
      { id: 's1', lessonIds: ['b', 'a'] },
      { id: 's2', lessonIds: ['c'] },
      { id: 's3', lessonIds: [] },
    ]);
  });

  it('moves a lesson across a section boundary', () => {
    expect(order(moveLesson(course(), 'b', 1))).toEqual([
      { id: 's1', lessonIds: ['a'] },
      { id: 's2', lessonIds: ['b', 'c'] },
      { id: 's3', lessonIds: [] },
    ]);
    expect(order(moveLesson(course(), 'c', -1))[0]).toEqual({ id: 's1', lessonIds: ['a', 'b', 'c'] });
    expect(order(moveLesson(course(), 'c', 1))).toEqual([
      { id: 's1', lessonIds: ['a', 'b'] },
      { id: 's2', lessonIds: [] },
      { id: 's3', lessonIds: ['c'] },
    ]);
  });

  it('keeps the first and last lessons in place and says they cannot move', () => {
    expect(order(moveLesson(course(), 'a', -1))).toEqual(order(course()));
    expect(canMoveLesson(course(), 'a', -1)).toBe(false);
    expect(canMoveLesson(course(), 'a', 1)).toBe(true);
    expect(canMoveLesson(course(), 'c', 1)).toBe(true);
    expect(canMoveLesson(course(), 'unknown', 1)).toBe(false);
  });

  it('never loses or duplicates a lesson, and a move and its opposite restore the order', () => {
    let sections = course();
    for (const [id, delta] of [
      ['a', 1],
      ['a', 1],
      ['a', 1],
      ['c', -1],
      ['b', 1],
    ] as const)
      sections = moveLesson(sections, id, delta);
    const ids = order(sections).flatMap((s) => s.lessonIds);
    expect(ids.sort()).toEqual(['a', 'b', 'c']);
    const original = course();
    expect(
      sameOrder(curriculumOrder(moveLesson(moveLesson(original, 'b', 1), 'b', -1)), curriculumOrder(original)),
    ).toBe(true);
  });

  it('does not change the array it was given', () => {
    const sections = course();
    moveLesson(sections, 'b', 1);
    moveSection(sections, 0, 1);
    expect(order(sections)).toEqual(order(course()));
  });
});

describe('an unsaved order over fresh server data', () => {
  it('keeps the local order, appends new items, drops deleted ones and never loses a lesson', async () => {
    const { applyOrder } = await import('./curriculum');
    const local = curriculumOrder(moveLesson(course(), 'b', 1)); // s1:[a] s2:[b,c] s3:[]
    const server = [
      { id: 's1', title: 'Intro', lessons: [{ id: 'a' }, { id: 'b' }, { id: 'd' }] }, // d is new
      { id: 's3', title: 'Empty', lessons: [] as { id: string }[] }, // s2 and c deleted
      { id: 's4', title: 'New', lessons: [{ id: 'e' }] },
    ];
    expect(curriculumOrder(applyOrder(server, local)).sections).toEqual([
      // b's new section is gone, so it stays where the server has it.
      { id: 's1', lessonIds: ['a', 'b', 'd'] },
      { id: 's3', lessonIds: [] },
      { id: 's4', lessonIds: ['e'] },
    ]);
    expect(applyOrder(server, null)).toEqual(server);
  });
});

import { describe, expect, it } from 'vitest';
import { can, type Actor } from './permissions.js';

const student: Actor = { userId: 'u-student', role: 'student' };
const instructor: Actor = { userId: 'u-instructor', role: 'instructor' };
const admin: Actor = { userId: 'u-admin', role: 'admin' };

describe('can', () => {
  it('refuses everything to an anonymous caller', () => {
    expect(can(undefined, 'account.read')).toBe(false);
    expect(can(undefined, 'admin.users.read')).toBe(false);
  });

  it('lets every signed-in role manage its own account', () => {
    for (const actor of [student, instructor, admin]) {
      expect(can(actor, 'account.read')).toBe(true);
      expect(can(actor, 'account.update')).toBe(true);
    }
  });

  it('keeps the admin area to admins', () => {
    for (const action of ['admin.users.read', 'admin.users.update', 'instructor-application.decide'] as const) {
      expect(can(student, action)).toBe(false);
      expect(can(instructor, action)).toBe(false);
      expect(can(admin, action)).toBe(true);
    }
  });

  it('lets only the author edit a review and only the course instructor reply, admins included', () => {
    const review = { ownerId: student.userId };
    const course = { ownerId: instructor.userId };
    expect(can(student, 'review.update', review)).toBe(true);
    expect(can(instructor, 'review.update', review)).toBe(false);
    expect(can(admin, 'review.update', review)).toBe(false);
    expect(can(instructor, 'review.reply', course)).toBe(true);
    expect(can(student, 'review.reply', course)).toBe(false);
    expect(can(admin, 'review.reply', course)).toBe(false);
    expect(can(student, 'review.update')).toBe(false);
    for (const actor of [student, instructor, admin]) {
      expect(can(actor, 'enrollment.create')).toBe(true);
      expect(can(actor, 'review.create')).toBe(true);
      expect(can(actor, 'review.report')).toBe(true);
    }
    expect(can(undefined, 'enrollment.create')).toBe(false);
    expect(can(student, 'review.moderate')).toBe(false);
    expect(can(instructor, 'review.moderate')).toBe(false);
    expect(can(admin, 'review.moderate')).toBe(true);
  });

  it('checks ownership: the owner and admins, nobody else, and nobody without a resource', () => {
    const application = { ownerId: student.userId };
    expect(can(student, 'instructor-application.read', application)).toBe(true);
    expect(can(instructor, 'instructor-application.read', application)).toBe(false);
    expect(can(admin, 'instructor-application.read', application)).toBe(true);
    expect(can(student, 'instructor-application.read')).toBe(false);
  });

  it('opens the studio to teachers, each course to its instructor and admins, takedowns to admins', () => {
    expect([student, instructor, admin].map((a) => can(a, 'course.create'))).toEqual([false, true, true]);
    const course = { ownerId: instructor.userId };
    const otherInstructor: Actor = { userId: 'u-other', role: 'instructor' };
    for (const action of ['course.update', 'course.preview'] as const) {
      expect(can(instructor, action, course)).toBe(true);
      expect(can(otherInstructor, action, course)).toBe(false);
      expect(can(student, action, course)).toBe(false);
      expect(can(admin, action, course)).toBe(true);
    }
    expect([student, instructor, admin].map((a) => can(a, 'course.takedown'))).toEqual([false, false, true]);
    expect([student, instructor, admin].map((a) => can(a, 'admin.courses.read'))).toEqual([false, false, true]);
  });
});

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

  it('checks ownership: the owner and admins, nobody else, and nobody without a resource', () => {
    const application = { ownerId: student.userId };
    expect(can(student, 'instructor-application.read', application)).toBe(true);
    expect(can(instructor, 'instructor-application.read', application)).toBe(false);
    expect(can(admin, 'instructor-application.read', application)).toBe(true);
    expect(can(student, 'instructor-application.read')).toBe(false);
  });
});

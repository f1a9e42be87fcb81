import { z } from 'zod';
import { hashPassword, passwordProblem } from './passwords.js';
import type { UserRepository, UserRow } from './repository.js';

export const USER_ROLES = ['student', 'instructor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export class UserInputError extends Error {
  constructor(
    readonly code: 'invalid_email' | 'invalid_password' | 'invalid_display_name' | 'email_taken',
    message: string,
  ) {
    super(message);
    this.name = 'UserInputError';
  }
}

export interface CreateUserInput {
  email: string;
  password: string;
  displayName: string;
  role: UserRole;
  locale?: 'ko' | 'en';
}

const emailSchema = z.string().trim().max(254).email();

export class UserService {
  constructor(private readonly users: UserRepository) {}

  /**
   * For operators (CLI, demo seed): the account starts verified and active, with the terms and
   * privacy policy recorded as accepted on the user's behalf by whoever created it.
   */
  async createUser(input: CreateUserInput): Promise<UserRow> {
    const email = emailSchema.safeParse(input.email);
    if (!email.success) throw new UserInputError('invalid_email', 'The email address is not valid.');
    const problem = passwordProblem(input.password);
    if (problem) throw new UserInputError('invalid_password', `The password ${problem}.`);
    const displayName = input.displayName.trim();
    if (displayName.length < 1 || displayName.length > 80) {
      throw new UserInputError('invalid_display_name', 'The display name must be 1 to 80 characters.');
    }
    const now = new Date();
    const created = await this.users.insertIfAbsent({
      email: email.data,
      passwordHash: await hashPassword(input.password),
      displayName,
      role: input.role,
      locale: input.locale ?? 'ko',
      status: 'active',
      emailVerifiedAt: now,
      termsAcceptedAt: now,
      privacyAcceptedAt: now,
    });
    if (!created) throw new UserInputError('email_taken', 'A user with this email already exists.');
    return created;
  }

  count(): Promise<number> {
    return this.users.count();
  }

  findByEmail(email: string): Promise<UserRow | undefined> {
    return this.users.findByEmail(email);
  }
}

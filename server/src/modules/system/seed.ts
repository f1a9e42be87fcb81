import { DEMO_USERS } from '../users/demo-users.js';
import { UserInputError, type UserService } from '../users/service.js';

export class DemoDataRefusedError extends Error {
  constructor() {
    super('Demo data is for embedded/development installs only; refusing with NODE_ENV=production.');
    this.name = 'DemoDataRefusedError';
  }
}

/** Idempotent: existing demo users are left as they are. Returns the emails created now. */
export async function seedDemoData(deps: { users: UserService; isProduction: boolean }): Promise<string[]> {
  if (deps.isProduction) throw new DemoDataRefusedError();
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    try {
      await deps.users.createUser(demo);
      created.push(demo.email);
    } catch (error) {
      if (!(error instanceof UserInputError && error.code === 'email_taken')) throw error;
    }
  }
  return created;
}

import { AppError } from '../app-error.js';
import type { AccountCache } from '../auth/account-cache.js';
import type { UserRepository } from '../users/repository.js';
import type { ApplicationRepository, ApplicationRow, ApplicationStatus } from './repository.js';

export interface ApplicationView {
  id: string;
  status: ApplicationStatus;
  motivation: string;
  decisionNote: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export function toApplicationView(row: ApplicationRow): ApplicationView {
  return {
    id: row.id,
    status: row.status,
    motivation: row.motivation,
    decisionNote: row.decisionNote,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}

/** A student asks to teach; an admin approves (the user becomes an instructor) or rejects. */
export class InstructorApplicationService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly users: UserRepository,
    private readonly accountCache: AccountCache,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async apply(userId: string, motivation: string): Promise<ApplicationView> {
    const user = await this.users.findById(userId);
    if (!user || user.role !== 'student') {
      throw new AppError(409, 'already_instructor', 'This account can already teach.');
    }
    const created = await this.applications.insertPending(userId, motivation.trim());
    if (!created) throw new AppError(409, 'application_pending', 'An application is already waiting for a decision.');
    return toApplicationView(created);
  }

  async mine(userId: string): Promise<ApplicationView> {
    const latest = await this.applications.latestOf(userId);
    if (!latest) throw new AppError(404, 'application_not_found', 'No application yet.');
    return toApplicationView(latest);
  }

  async list(query: { status?: ApplicationStatus; page: number; pageSize: number }) {
    const { items, total } = await this.applications.list(query);
    return {
      items: items.map(({ application, user }) => ({ ...toApplicationView(application), user })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  async decide(adminId: string, id: string, approve: boolean, note: string | undefined): Promise<ApplicationView> {
    const decided = await this.applications.decide(id, {
      status: approve ? 'approved' : 'rejected',
      note: note?.trim() || null,
      decidedBy: adminId,
      at: this.now(),
    });
    if (!decided) {
      const exists = await this.applications.findById(id);
      if (!exists) throw new AppError(404, 'application_not_found', 'No such application.');
      throw new AppError(409, 'application_decided', 'This application has already been decided.');
    }
    if (approve) {
      const user = await this.users.findById(decided.userId);
      // Never demote: an admin who applied long ago stays an admin.
      if (user?.role === 'student') await this.users.update(user.id, { role: 'instructor' });
      await this.accountCache.forgetUser(decided.userId);
    }
    return toApplicationView(decided);
  }
}

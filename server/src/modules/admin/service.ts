import { AppError } from '../app-error.js';
import type { AccountCache } from '../auth/account-cache.js';
import type { AuthRepository } from '../auth/repository.js';
import type { UserRepository, UserSearch } from '../users/repository.js';
import type { UserRole } from '../users/service.js';
import { toAdminUserView, type AdminUserView } from '../users/views.js';

export interface AdminUserPatch {
  role?: UserRole;
  status?: 'active' | 'deactivated';
}

/** Admins finding users and changing their role or status. */
export class AdminUserService {
  constructor(
    private readonly users: UserRepository,
    private readonly auth: AuthRepository,
    private readonly accountCache: AccountCache,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async search(query: UserSearch) {
    const { items, total } = await this.users.search(query);
    return { items: items.map(toAdminUserView), total, page: query.page, pageSize: query.pageSize };
  }

  async update(adminId: string, userId: string, patch: AdminUserPatch): Promise<AdminUserView> {
    // An admin locking themself out would leave nobody to undo it.
    if (adminId === userId && (patch.role !== undefined || patch.status !== undefined)) {
      throw new AppError(409, 'cannot_change_self', 'Admins cannot change their own role or status.');
    }
    const user = await this.users.findById(userId);
    if (!user || user.deletedAt) throw new AppError(404, 'user_not_found', 'No such user.');
    const updated = (await this.users.update(userId, patch)) ?? user;
    if (patch.status === 'deactivated') {
      const revoked = await this.auth.revokeUserSessions(userId, this.now());
      await this.accountCache.forgetSessions(revoked);
    }
    await this.accountCache.forgetUser(userId);
    return toAdminUserView(updated);
  }
}

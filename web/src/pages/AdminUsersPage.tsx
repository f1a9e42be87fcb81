import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { accountKeys, fetchAdminUsers, updateAdminUser } from '../api/accounts';
import type { AccountStatus, AdminUser, AdminUserPatch, Role } from '../api/accountsTypes';
import { describeError } from '../auth/errorMessages';
import { FilterSelect, PagedListState, Pager } from '../components/adminList';
import { FormAlert, focusRing, inputClass, primaryButton, secondaryButton } from '../components/form';

const PAGE_SIZE = 20;
const ROLES: Role[] = ['student', 'instructor', 'admin'];

export function AdminUsersPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [status, setStatus] = useState<AccountStatus | ''>('');
  const [page, setPage] = useState(1);
  const query = { q: q || undefined, role: role || undefined, status: status || undefined, page, pageSize: PAGE_SIZE };
  const users = useQuery({
    queryKey: accountKeys.adminUsers(query),
    queryFn: ({ signal }) => fetchAdminUsers(query, signal),
    placeholderData: keepPreviousData,
  });
  const update = useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: AdminUserPatch }) => updateAdminUser(id, patch),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin', 'users'] }),
  });

  function handleSearch(event: FormEvent) {
    event.preventDefault();
    setQ(draft.trim());
    setPage(1);
  }

  return (
    <section className="mx-auto max-w-6xl px-4 py-12 sm:px-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{t('admin.users.title')}</h1>
      <form role="search" onSubmit={handleSearch} className="mt-6 flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <label htmlFor="admin-user-q" className="block text-sm font-medium text-slate-800">
            {t('admin.users.search')}
          </label>
          <input
            id="admin-user-q"
            type="search"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            className={inputClass}
          />
        </div>
        <div>
          <FilterSelect
            id="admin-user-role"
            label={t('admin.users.role')}
            value={role}
            options={ROLES.map((value) => ({ value, label: t(`roles.${value}`) }))}
            onChange={(value) => {
              setRole(value);
              setPage(1);
            }}
          />
        </div>
        <div>
          <FilterSelect
            id="admin-user-status"
            label={t('admin.users.status')}
            value={status}
            options={[
              { value: 'active', label: t('admin.users.active') },
              { value: 'deactivated', label: t('admin.users.deactivated') },
            ]}
            onChange={(value) => {
              setStatus(value);
              setPage(1);
            }}
          />
        </div>
        <button type="submit" className={primaryButton}>
          {t('admin.users.searchSubmit')}
        </button>
      </form>

      <div className="mt-4">
        <FormAlert error={update.isError ? describeError(update.error) : null} />
      </div>

      <PagedListState query={users} emptyText={t('admin.users.empty')}>
        {(items) => (
          <div className="mt-6 overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
            <table className="w-full text-left text-sm">
              <thead className="bg-slate-50 text-slate-600">
                <tr>
                  <th className="px-4 py-3 font-medium">{t('admin.users.name')}</th>
                  <th className="px-4 py-3 font-medium">{t('auth.fields.email')}</th>
                  <th className="px-4 py-3 font-medium">{t('admin.users.role')}</th>
                  <th className="px-4 py-3 font-medium">{t('admin.users.status')}</th>
                  <th className="px-4 py-3 font-medium">
                    <span className="sr-only">{t('admin.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {items.map((user) => (
                  <UserRow
                    key={user.id}
                    user={user}
                    busy={update.isPending}
                    onChange={(patch) => update.mutate({ id: user.id, patch })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </PagedListState>

      <Pager page={page} result={users.data} onPageChange={setPage} />
    </section>
  );
}

function UserRow({
  user,
  busy,
  onChange,
}: {
  user: AdminUser;
  busy: boolean;
  onChange: (patch: AdminUserPatch) => void;
}) {
  const { t } = useTranslation();
  const active = user.status === 'active';
  return (
    <tr>
      <td className="px-4 py-3 font-medium text-slate-900">{user.displayName}</td>
      <td className="px-4 py-3 wrap-anywhere text-slate-700">{user.email}</td>
      <td className="px-4 py-3">
        <select
          aria-label={t('admin.users.roleOf', { name: user.displayName })}
          value={user.role}
          disabled={busy}
          onChange={(event) => onChange({ role: event.target.value as Role })}
          className={`rounded-md border border-slate-300 bg-white px-2 py-1 ${focusRing}`}
        >
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {t(`roles.${value}`)}
            </option>
          ))}
        </select>
      </td>
      <td className="px-4 py-3">{active ? t('admin.users.active') : t('admin.users.deactivated')}</td>
      <td className="px-4 py-3 text-right">
        <button
          type="button"
          disabled={busy}
          className={secondaryButton}
          onClick={() => onChange({ status: active ? 'deactivated' : 'active' })}
          aria-label={t(active ? 'admin.users.deactivateLabel' : 'admin.users.reactivateLabel', {
            name: user.displayName,
          })}
        >
          {active ? t('admin.users.deactivate') : t('admin.users.reactivate')}
        </button>
      </td>
    </tr>
  );
}

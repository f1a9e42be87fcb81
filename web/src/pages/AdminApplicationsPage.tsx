import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { accountKeys, decideApplication, fetchApplications } from '../api/accounts';
import type { AdminApplication, ApplicationStatus } from '../api/accountsTypes';
import { describeError } from '../auth/errorMessages';
import { FilterSelect, PagedListState, Pager } from '../components/adminList';
import { FormAlert, TextAreaField, dangerButton, primaryButton } from '../components/form';
import { formatDateTime } from '../lib/time';

const PAGE_SIZE = 20;
const APPLICATION_STATUSES: ApplicationStatus[] = ['pending', 'approved', 'rejected'];

export function AdminApplicationsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<ApplicationStatus | ''>('pending');
  const [page, setPage] = useState(1);
  const query = { status: status || undefined, page, pageSize: PAGE_SIZE };
  const applications = useQuery({
    queryKey: accountKeys.applications(query),
    queryFn: ({ signal }) => fetchApplications(query, signal),
    placeholderData: keepPreviousData,
  });
  const decide = useMutation({
    mutationFn: ({ id, approve, note }: { id: string; approve: boolean; note: string }) =>
      decideApplication(id, note ? { approve, note } : { approve }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });

  return (
    <section className="mx-auto max-w-4xl px-4 py-12 sm:px-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{t('admin.applications.title')}</h1>
      <div className="mt-6 max-w-xs">
        <FilterSelect
          id="application-status"
          label={t('admin.users.status')}
          value={status}
          options={APPLICATION_STATUSES.map((value) => ({ value, label: t(`settings.teach.status.${value}`) }))}
          onChange={(value) => {
            setStatus(value);
            setPage(1);
          }}
        />
      </div>
      <div className="mt-4">
        <FormAlert error={decide.isError ? describeError(decide.error) : null} />
      </div>
      <PagedListState query={applications} emptyText={t('admin.applications.empty')}>
        {(items) => (
          <ul className="mt-6 space-y-4">
            {items.map((application) => (
              <ApplicationCard
                key={application.id}
                application={application}
                busy={decide.isPending}
                onDecide={(approve, note) => decide.mutate({ id: application.id, approve, note })}
              />
            ))}
          </ul>
        )}
      </PagedListState>
      <Pager page={page} result={applications.data} onPageChange={setPage} />
    </section>
  );
}

function ApplicationCard({
  application,
  busy,
  onDecide,
}: {
  application: AdminApplication;
  busy: boolean;
  onDecide: (approve: boolean, note: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const [note, setNote] = useState('');
  return (
    <li className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <p className="font-bold text-slate-900">
        {application.user.displayName} <span className="font-normal text-slate-500">({application.user.email})</span>
      </p>
      <p className="mt-1 text-xs text-slate-500">
        {formatDateTime(new Date(application.createdAt), i18n.language)} ·{' '}
        {t(`settings.teach.status.${application.status}`)}
      </p>
      <p className="mt-3 text-sm whitespace-pre-wrap text-slate-800">{application.motivation}</p>
      {application.decisionNote && (
        <p className="mt-2 text-sm text-slate-600">{t('settings.teach.note', { note: application.decisionNote })}</p>
      )}
      {application.status === 'pending' && (
        <div className="mt-4 space-y-3">
          <TextAreaField
            label={t('admin.applications.note')}
            name="note"
            rows={2}
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
          <div className="flex gap-3">
            <button type="button" disabled={busy} className={primaryButton} onClick={() => onDecide(true, note.trim())}>
              {t('admin.applications.approve')}
            </button>
            <button type="button" disabled={busy} className={dangerButton} onClick={() => onDecide(false, note.trim())}>
              {t('admin.applications.reject')}
            </button>
          </div>
        </div>
      )}
    </li>
  );
}

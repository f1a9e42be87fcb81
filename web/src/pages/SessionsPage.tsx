import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { accountKeys, fetchSessions, revokeSession } from '../api/accounts';
import { describeError } from '../auth/errorMessages';
import { FormAlert, linkClass, secondaryButton } from '../components/form';
import { formatDateTime } from '../lib/time';

export function SessionsPage() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: accountKeys.sessions, queryFn: ({ signal }) => fetchSessions(signal) });
  const revoke = useMutation({
    mutationFn: revokeSession,
    onSettled: () => queryClient.invalidateQueries({ queryKey: accountKeys.sessions }),
  });

  return (
    <section className="mx-auto max-w-3xl px-4 py-12 sm:px-6">
      <Link to="/settings" className={`text-sm ${linkClass}`}>
        {t('sessions.back')}
      </Link>
      <h1 className="mt-4 text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{t('sessions.title')}</h1>
      <p className="mt-2 text-sm text-slate-600">{t('sessions.intro')}</p>
      <div className="mt-6">
        <FormAlert error={revoke.isError ? describeError(revoke.error) : null} />
        {sessions.isPending ? (
          <p role="status" className="text-sm text-slate-500">
            {t('auth.checking')}
          </p>
        ) : sessions.isError ? (
          <FormAlert error={describeError(sessions.error)} />
        ) : (
          <ul className="mt-4 divide-y divide-slate-200 rounded-2xl border border-slate-200 bg-white shadow-sm">
            {sessions.data.items.map((item) => (
              <li key={item.id} className="flex flex-wrap items-center justify-between gap-3 p-4" data-testid="device">
                <div className="min-w-0">
                  <p className="font-medium wrap-anywhere text-slate-900">
                    {item.userAgent || t('sessions.unknownDevice')}
                    {item.current && (
                      <span className="ml-2 rounded-full bg-indigo-100 px-2 py-0.5 text-xs font-bold text-indigo-800">
                        {t('sessions.current')}
                      </span>
                    )}
                  </p>
                  <p className="mt-1 text-xs text-slate-500">
                    {t('sessions.details', {
                      ip: item.ip ?? '—',
                      created: formatDateTime(new Date(item.createdAt), i18n.language),
                      lastUsed: item.lastUsedAt ? formatDateTime(new Date(item.lastUsedAt), i18n.language) : '—',
                    })}
                  </p>
                </div>
                {!item.current && (
                  <button
                    type="button"
                    className={secondaryButton}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(item.id)}
                    aria-label={t('sessions.revokeLabel', { device: item.userAgent || t('sessions.unknownDevice') })}
                  >
                    {t('sessions.revoke')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

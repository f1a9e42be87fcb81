import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { fetchReadiness, type OverallStatus, type ReadinessReport, type ServiceCheck } from '../api/health';

const READINESS_REFRESH_MS = 30_000;

const KNOWN_SERVICES = ['database', 'cache', 'queue', 'storage', 'mail'] as const;
type KnownService = (typeof KNOWN_SERVICES)[number];

function isKnownService(name: string): name is KnownService {
  return (KNOWN_SERVICES as readonly string[]).includes(name);
}

const overallStyles: Record<OverallStatus, { banner: string; dot: string }> = {
  ok: { banner: 'border-emerald-200 bg-emerald-50 text-emerald-900', dot: 'bg-emerald-500' },
  degraded: { banner: 'border-amber-200 bg-amber-50 text-amber-900', dot: 'bg-amber-500' },
  down: { banner: 'border-red-200 bg-red-50 text-red-900', dot: 'bg-red-500' },
};

const checkStyles: Record<ServiceCheck['status'], string> = {
  up: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  down: 'bg-red-50 text-red-800 ring-red-600/20',
};

export function PlatformStatus() {
  const { t } = useTranslation();
  const headingId = useId();
  const readiness = useQuery({
    queryKey: ['health', 'ready'],
    queryFn: ({ signal }) => fetchReadiness(signal),
    refetchInterval: READINESS_REFRESH_MS,
  });

  return (
    <section
      aria-labelledby={headingId}
      aria-busy={readiness.isFetching}
      data-testid="platform-status"
      className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm"
    >
      <div className="flex items-center justify-between gap-4">
        <h2 id={headingId} className="text-lg font-bold text-slate-900">
          {t('status.title')}
        </h2>
        {readiness.data && (
          <button
            type="button"
            onClick={() => void readiness.refetch()}
            disabled={readiness.isFetching}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50"
          >
            {t('status.refresh')}
          </button>
        )}
      </div>

      {readiness.data ? (
        <ReadinessDetails report={readiness.data} checkedAt={readiness.dataUpdatedAt} />
      ) : readiness.isError ? (
        <div role="alert" className="mt-4 flex flex-wrap items-center gap-3 text-sm text-red-800">
          <p>{t('status.unreachable')}</p>
          <button
            type="button"
            onClick={() => void readiness.refetch()}
            className="rounded-md border border-red-300 px-3 py-1.5 font-medium hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600"
          >
            {t('status.retry')}
          </button>
        </div>
      ) : (
        <p role="status" className="mt-4 text-sm text-slate-500">
          {t('status.loading')}
        </p>
      )}
    </section>
  );
}

function ReadinessDetails({ report, checkedAt }: { report: ReadinessReport; checkedAt: number }) {
  const { t, i18n } = useTranslation();
  const overall = overallStyles[report.status];
  const checkedAtText = new Intl.DateTimeFormat(i18n.language, { timeStyle: 'medium' }).format(checkedAt);

  return (
    <>
      <p
        role="status"
        data-testid="platform-status-overall"
        data-status={report.status}
        className={`mt-4 flex items-center gap-2 rounded-lg border px-4 py-3 text-sm font-medium ${overall.banner}`}
      >
        <span aria-hidden="true" className={`size-2.5 shrink-0 rounded-full ${overall.dot}`} />
        {t(`status.overall.${report.status}`)}
      </p>

      <table className="mt-4 w-full text-left text-sm">
        <caption className="sr-only">{t('status.title')}</caption>
        <thead className="text-xs text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-4 font-medium">
              {t('status.columns.service')}
            </th>
            <th scope="col" className="py-2 pr-4 font-medium">
              {t('status.columns.backend')}
            </th>
            <th scope="col" className="py-2 text-right font-medium">
              {t('status.columns.state')}
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {Object.entries(report.checks).map(([name, check]) => (
            <ServiceRow key={name} name={name} check={check} />
          ))}
        </tbody>
      </table>

      <p className="mt-3 text-xs text-slate-400">{t('status.checkedAt', { time: checkedAtText })}</p>
    </>
  );
}

// Embedded backends answer in well under a millisecond; rounding would show "0 ms".
function formatLatency(milliseconds: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    maximumFractionDigits: milliseconds < 10 ? 1 : 0,
  }).format(milliseconds);
}

function ServiceRow({ name, check }: { name: string; check: ServiceCheck }) {
  const { t, i18n } = useTranslation();
  // A service the server adds later still shows up, under its raw name.
  const label = isKnownService(name) ? t(`status.services.${name}`) : name;

  return (
    <tr data-testid={`health-check-${name}`} data-status={check.status}>
      <th scope="row" className="py-2.5 pr-4 align-top font-medium text-slate-800">
        {label}
        {check.error && <span className="mt-0.5 block text-xs font-normal break-all text-red-700">{check.error}</span>}
      </th>
      <td className="py-2.5 pr-4 align-top">
        <code data-testid="backend" className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">
          {check.backend}
        </code>
      </td>
      <td className="py-2.5 text-right align-top whitespace-nowrap">
        {check.latencyMs !== undefined && (
          <span className="mr-2 text-xs text-slate-400">
            {t('status.latency', { ms: formatLatency(check.latencyMs, i18n.language) })}
          </span>
        )}
        <span
          className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${checkStyles[check.status]}`}
        >
          {t(`status.check.${check.status}`)}
        </span>
      </td>
    </tr>
  );
}

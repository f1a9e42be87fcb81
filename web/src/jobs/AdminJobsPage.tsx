import { keepPreviousData, useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/apiError';
import { describeError } from '../auth/errorMessages';
import { PagedListState, Pager } from '../components/adminList';
import {
  FormAlert,
  Notice,
  dangerButton,
  focusRing,
  inputClass,
  primaryButton,
  secondaryButton,
} from '../components/form';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { formatShortDateTime } from '../lib/time';
import {
  JOB_STATES,
  QUEUES,
  errorHeadline,
  fetchJobs,
  fetchJobsOverview,
  jobKeys,
  removeJob,
  retryJob,
  type Job,
  type JobState,
  type JobsOverview,
  type QueueName,
} from './api';

const PAGE_SIZE = 20;
/** Often enough to watch a retried job go through, rarely enough not to load a busy queue. */
const REFRESH_MS = 5_000;
const COUNT_COLUMNS = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

type Action = 'retry' | 'remove';
interface PendingAction {
  action: Action;
  job: Job;
}

/** /admin/jobs: jobs per queue and state, and the failed ones with Retry and Remove. */
export function AdminJobsPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('jobs.title'));
  const queryClient = useQueryClient();
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [queue, setQueue] = useState<QueueName>('default');
  const [state, setState] = useState<JobState>('failed');
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const refetchInterval = autoRefresh ? REFRESH_MS : false;

  const overview = useQuery({
    queryKey: jobKeys.overview,
    queryFn: ({ signal }) => fetchJobsOverview(signal),
    refetchInterval,
  });
  const listQuery = { queue, state, page, pageSize: PAGE_SIZE };
  const jobs = useQuery({
    queryKey: jobKeys.list(listQuery),
    queryFn: ({ signal }) => fetchJobs(listQuery, signal),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
  const act = useMutation({
    mutationFn: ({ action, job }: PendingAction) =>
      action === 'retry' ? retryJob(job.queue, job.id) : removeJob(job.queue, job.id),
    onSuccess: (_result, { action, job }) => {
      setPending(null);
      setNotice(t(action === 'retry' ? 'jobs.retried' : 'jobs.removed', { name: job.name, id: job.id }));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: jobKeys.all }),
  });

  function ask(action: Action, job: Job) {
    act.reset();
    setNotice(null);
    setPending({ action, job });
  }

  const updatedAt = Math.max(overview.dataUpdatedAt, jobs.dataUpdatedAt);
  return (
    <section className="mx-auto max-w-6xl px-4 py-12 sm:px-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{t('jobs.title')}</h1>
      <p className="mt-2 text-sm text-slate-600">{t('jobs.intro')}</p>
      <div className="mt-4 flex flex-wrap items-center gap-x-6 gap-y-2 text-sm text-slate-700">
        <label className="inline-flex items-center gap-2">
          <input
            type="checkbox"
            checked={autoRefresh}
            onChange={(event) => setAutoRefresh(event.target.checked)}
            className={`h-4 w-4 rounded border-slate-300 text-indigo-700 ${focusRing}`}
          />
          {t('jobs.autoRefresh', { seconds: REFRESH_MS / 1000 })}
        </label>
        <button
          type="button"
          className={secondaryButton}
          onClick={() => void queryClient.invalidateQueries({ queryKey: jobKeys.all })}
        >
          {t('jobs.refreshNow')}
        </button>
        {updatedAt > 0 && (
          <span className="text-slate-500">
            {t('jobs.updatedAt', { time: formatShortDateTime(updatedAt, i18n.language) })}
          </span>
        )}
      </div>

      <CountsTable overview={overview} />

      <section aria-labelledby="job-list-heading" className="mt-10">
        <h2 id="job-list-heading" className="text-xl font-bold text-slate-900">
          {t('jobs.listTitle')}
        </h2>
        <div className="mt-4 flex flex-wrap gap-4">
          <Select
            id="job-queue"
            label={t('jobs.queueLabel')}
            value={queue}
            options={QUEUES.map((value) => ({ value, label: t(`jobs.queue.${value}`) }))}
            onChange={(value) => {
              setQueue(value);
              setPage(1);
            }}
          />
          <Select
            id="job-state"
            label={t('jobs.stateLabel')}
            value={state}
            options={JOB_STATES.map((value) => ({ value, label: t(`jobs.state.${value}`) }))}
            onChange={(value) => {
              setState(value);
              setPage(1);
            }}
          />
        </div>
        <div className="mt-4" aria-live="polite">
          {notice && <Notice>{notice}</Notice>}
        </div>
        <PagedListState
          query={jobs}
          emptyText={t('jobs.empty', { queue: t(`jobs.queue.${queue}`), state: t(`jobs.state.${state}`) })}
        >
          {(items) => <JobsTable jobs={items} queue={queue} state={state} onAction={ask} />}
        </PagedListState>
        <Pager page={page} result={jobs.data} onPageChange={setPage} />
      </section>

      <ConfirmDialog
        pending={pending}
        busy={act.isPending}
        error={act.isError ? act.error : null}
        onConfirm={() => pending && act.mutate(pending)}
        onClose={() => setPending(null)}
      />
    </section>
  );
}

function CountsTable({ overview }: { overview: UseQueryResult<JobsOverview> }) {
  const { t, i18n } = useTranslation();
  if (overview.isPending) {
    return (
      <p role="status" className="mt-8 text-sm text-slate-500">
        {t('auth.checking')}
      </p>
    );
  }
  if (overview.isError) {
    return (
      <div className="mt-8">
        <FormAlert error={describeError(overview.error)} />
      </div>
    );
  }
  const number = new Intl.NumberFormat(i18n.language);
  return (
    <div className="mt-8 overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-sm">
        <caption className="px-4 pt-4 text-left text-base font-bold text-slate-900">{t('jobs.countsTitle')}</caption>
        <thead>
          <tr className="border-b border-slate-200 text-left text-slate-600">
            <th scope="col" className="px-4 py-2 font-medium">
              {t('jobs.queueLabel')}
            </th>
            {COUNT_COLUMNS.map((column) => (
              <th key={column} scope="col" className="px-4 py-2 text-right font-medium">
                {t(`jobs.state.${column}`)}
              </th>
            ))}
            <th scope="col" className="px-4 py-2 text-right font-medium">
              {t('jobs.oldestWaiting')}
            </th>
          </tr>
        </thead>
        <tbody>
          {overview.data.queues.map((counts) => (
            <tr key={counts.queue} className="border-b border-slate-100 last:border-0">
              <th scope="row" className="px-4 py-2 text-left font-medium text-slate-900">
                {t(`jobs.queue.${counts.queue}`)}
              </th>
              {COUNT_COLUMNS.map((column) => (
                <td
                  key={column}
                  className={`px-4 py-2 text-right tabular-nums ${
                    column === 'failed' && counts.failed > 0 ? 'font-bold text-red-800' : 'text-slate-800'
                  }`}
                >
                  {number.format(counts[column])}
                </td>
              ))}
              <td className="px-4 py-2 text-right text-slate-800 tabular-nums">
                {formatWait(counts.oldestWaitingSeconds, i18n.language)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function JobsTable({
  jobs,
  queue,
  state,
  onAction,
}: {
  jobs: Job[];
  queue: QueueName;
  state: JobState;
  onAction: (action: Action, job: Job) => void;
}) {
  const { t, i18n } = useTranslation();
  const finished = state === 'failed' || state === 'completed';
  return (
    <div className="mt-4 overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-sm">
        <caption className="sr-only">
          {t('jobs.listCaption', { queue: t(`jobs.queue.${queue}`), state: t(`jobs.state.${state}`) })}
        </caption>
        <thead>
          <tr className="border-b border-slate-200 text-left text-slate-600">
            <th scope="col" className="px-4 py-2 font-medium">
              {t('jobs.column.job')}
            </th>
            <th scope="col" className="px-4 py-2 font-medium">
              {t('jobs.column.error')}
            </th>
            <th scope="col" className="px-4 py-2 text-right font-medium">
              {t('jobs.column.attempts')}
            </th>
            <th scope="col" className="px-4 py-2 font-medium">
              {t('jobs.column.created')}
            </th>
            <th scope="col" className="px-4 py-2 font-medium">
              {t(state === 'completed' ? 'jobs.column.completedAt' : 'jobs.column.failedAt')}
            </th>
            {finished && (
              <th scope="col" className="px-4 py-2 font-medium">
                {t('admin.actions')}
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} className="border-b border-slate-100 align-top last:border-0">
              <th scope="row" className="px-4 py-3 text-left font-medium text-slate-900">
                <span className="font-mono text-xs">{job.name}</span>
                <span className="block text-xs font-normal text-slate-500">#{job.id}</span>
              </th>
              <td className="max-w-md px-4 py-3 text-slate-800">
                {job.error ? <ErrorText error={job.error} /> : <span className="text-slate-400">—</span>}
              </td>
              <td className="px-4 py-3 text-right whitespace-nowrap tabular-nums">
                {t('jobs.attempts', { made: job.attemptsMade, max: job.maxAttempts })}
              </td>
              <td className="px-4 py-3 whitespace-nowrap">
                <time dateTime={job.createdAt}>{formatShortDateTime(new Date(job.createdAt), i18n.language)}</time>
              </td>
              <td className="px-4 py-3 whitespace-nowrap">
                {job.finishedAt ? (
                  <time dateTime={job.finishedAt}>{formatShortDateTime(new Date(job.finishedAt), i18n.language)}</time>
                ) : (
                  <span className="text-slate-400">—</span>
                )}
              </td>
              {finished && (
                <td className="px-4 py-3">
                  <div className="flex gap-2">
                    {state === 'failed' && (
                      <button
                        type="button"
                        className={primaryButton}
                        aria-label={t('jobs.retryLabel', { name: job.name, id: job.id })}
                        onClick={() => onAction('retry', job)}
                      >
                        {t('jobs.retry')}
                      </button>
                    )}
                    <button
                      type="button"
                      className={secondaryButton}
                      aria-label={t('jobs.removeLabel', { name: job.name, id: job.id })}
                      onClick={() => onAction('remove', job)}
                    >
                      {t('jobs.remove')}
                    </button>
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The message, with the stack behind a disclosure: most failures are read from their first line. */
function ErrorText({ error }: { error: string }) {
  const { t } = useTranslation();
  const headline = errorHeadline(error);
  if (headline === error.trim()) return <p className="wrap-anywhere">{headline}</p>;
  return (
    <details>
      <summary className={`cursor-pointer wrap-anywhere ${focusRing}`}>{headline}</summary>
      <p className="sr-only">{t('jobs.fullError')}</p>
      <pre className="mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2 text-xs whitespace-pre-wrap text-slate-700">
        {error}
      </pre>
    </details>
  );
}

function Select<Value extends string>({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: Value;
  options: readonly { value: Value; label: string }[];
  onChange: (value: Value) => void;
}) {
  return (
    <div className="min-w-48">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as Value)} className={inputClass}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * Retry and Remove ask first, in a modal <dialog>: the browser traps focus in it, closes it on
 * Escape and gives focus back to the button that opened it.
 */
function ConfirmDialog({
  pending,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  pending: PendingAction | null;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (pending && !dialog.open) dialog.showModal();
    if (!pending && dialog.open) dialog.close();
  }, [pending]);
  const job = pending?.job;
  const retry = pending?.action === 'retry';
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      className="m-auto w-full max-w-md rounded-2xl border border-slate-200 bg-white p-6 shadow-xl backdrop:bg-slate-900/40"
    >
      {job && (
        <>
          <h2 id={titleId} className="text-lg font-bold text-slate-900">
            {t(retry ? 'jobs.confirmRetryTitle' : 'jobs.confirmRemoveTitle')}
          </h2>
          <p id={bodyId} className="mt-2 text-sm text-slate-700">
            {t(retry ? 'jobs.confirmRetry' : 'jobs.confirmRemove', { name: job.name, id: job.id })}
          </p>
          <div role="alert" className="mt-4">
            {error !== null && (
              <p className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
                <JobErrorMessage error={error} />
              </p>
            )}
          </div>
          <div className="mt-4 flex flex-wrap justify-end gap-2">
            <button type="button" className={secondaryButton} onClick={onClose}>
              {t('jobs.cancel')}
            </button>
            <button type="button" className={retry ? primaryButton : dangerButton} disabled={busy} onClick={onConfirm}>
              {busy ? t('auth.pending') : t(retry ? 'jobs.confirmRetryButton' : 'jobs.confirmRemoveButton')}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

/** The monitor's own refusals (the job went away or changed state meanwhile), else the shared messages. */
function JobErrorMessage({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.code === 'job_not_found') return t('jobs.errors.jobNotFound');
  if (error instanceof ApiError && (error.code === 'job_not_failed' || error.code === 'job_not_finished')) {
    return t('jobs.errors.jobStateChanged');
  }
  const { key, values } = describeError(error);
  return t(key, values ?? {});
}

/** "45 sec", "12 min", "3 hr": the oldest waiting job's age in the reader's language. */
function formatWait(seconds: number, locale: string): string {
  const [value, unit] =
    seconds < 120
      ? [seconds, 'second']
      : seconds < 7_200
        ? [Math.floor(seconds / 60), 'minute']
        : [Math.floor(seconds / 3_600), 'hour'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
}

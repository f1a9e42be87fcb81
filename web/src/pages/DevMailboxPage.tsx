import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearchParams } from 'react-router';
import {
  devMailboxKeys,
  fetchMailboxPage,
  isMailboxUnavailable,
  MAILBOX_PAGE_SIZE,
  retryUnlessClientError,
  type DevMail,
} from '../api/devMailbox';
import { MailboxError } from '../components/MailboxError';
import { formatDateTime, formatRelativeTime } from '../lib/time';
import { useNow } from '../lib/useNow';

// New mail arrives through the job queue a moment after whatever sent it.
const AUTO_REFRESH_MS = 5_000;

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';
const secondaryButton = `rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-xs hover:bg-slate-50 ${focusRing}`;

/** ?page=N, 1-based; anything else is the first page. */
function pageFromSearch(params: URLSearchParams): number {
  const page = Number(params.get('page') ?? '1');
  return Number.isSafeInteger(page) && page >= 1 ? page : 1;
}

function usePage(offset: number, enabled = true) {
  return useQuery({
    queryKey: devMailboxKeys.page(offset),
    queryFn: ({ signal }) => fetchMailboxPage({ limit: MAILBOX_PAGE_SIZE, offset }, signal),
    enabled,
    // The page stays on screen (and the pager keeps focus) while the next one loads.
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.status === 'error' ? false : AUTO_REFRESH_MS),
    retry: retryUnlessClientError,
  });
}

export function DevMailboxPage() {
  const { t } = useTranslation();
  const [searchParams, setSearchParams] = useSearchParams();
  const page = pageFromSearch(searchParams);
  const offset = (page - 1) * MAILBOX_PAGE_SIZE;

  const current = usePage(offset);
  const shown = current.data?.items ?? [];
  const settled = current.data !== undefined && !current.isPlaceholderData;
  // The API gives no total: a full page may be the last one, so the next page
  // is asked for too (and is then already there when Next is pressed).
  const following = usePage(offset + MAILBOX_PAGE_SIZE, settled && shown.length === MAILBOX_PAGE_SIZE);
  const hasPrevious = page > 1;
  const hasNext =
    settled &&
    shown.length === MAILBOX_PAGE_SIZE &&
    !following.isPlaceholderData &&
    (following.data?.items.length ?? 0) > 0;

  function goToPage(next: number) {
    setSearchParams(next > 1 ? { page: String(next) } : {});
  }

  let status = '';
  if (current.isPending) status = t('devMailbox.loading');
  else if (settled && shown.length > 0)
    status = t('devMailbox.showing', { first: offset + 1, last: offset + shown.length });

  return (
    <div className="mx-auto max-w-4xl px-4 py-12 sm:px-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <p className="text-sm font-bold tracking-wide text-indigo-700">{t('devMailbox.eyebrow')}</p>
          <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">{t('devMailbox.title')}</h1>
          <p className="mt-3 max-w-2xl text-slate-600">{t('devMailbox.intro')}</p>
        </div>
        {current.data && (
          <button
            type="button"
            onClick={() => void current.refetch()}
            disabled={current.isFetching}
            className={`${secondaryButton} disabled:opacity-50`}
          >
            {t('devMailbox.refresh')}
          </button>
        )}
      </div>

      {/* Always in the DOM, so screen readers announce when loading starts and ends. */}
      <p role="status" className={current.isPending ? 'mt-8 text-sm text-slate-500' : 'sr-only'}>
        {status}
      </p>

      {current.isError && (!current.data || current.isPlaceholderData) ? (
        <MailboxError
          unavailable={isMailboxUnavailable(current.error)}
          failureText={t('devMailbox.error')}
          onRetry={() => void current.refetch()}
        />
      ) : current.data && shown.length === 0 ? (
        page > 1 ? (
          <Notice title={t('devMailbox.emptyPage.title')}>
            <Link to="/dev/mailbox" className={`${secondaryButton} mt-4 inline-flex`}>
              {t('devMailbox.emptyPage.firstPage')}
            </Link>
          </Notice>
        ) : (
          <Notice title={t('devMailbox.empty.title')}>
            <p className="mt-2 text-sm text-slate-600">{t('devMailbox.empty.body')}</p>
          </Notice>
        )
      ) : current.data ? (
        <MailList mails={shown} busy={current.isPlaceholderData} />
      ) : null}

      {/* A page past the end offers only its way back to the first page. */}
      {((hasPrevious && shown.length > 0) || hasNext) && (
        <nav aria-label={t('devMailbox.pagination.label')} className="mt-6 flex items-center justify-between gap-4">
          <PagerButton enabled={hasPrevious} onActivate={() => goToPage(page - 1)}>
            <span aria-hidden="true">←</span> {t('devMailbox.pagination.previous')}
          </PagerButton>
          <p className="text-sm text-slate-500">{t('devMailbox.pagination.page', { page })}</p>
          <PagerButton enabled={hasNext} onActivate={() => goToPage(page + 1)}>
            {t('devMailbox.pagination.next')} <span aria-hidden="true">→</span>
          </PagerButton>
        </nav>
      )}
    </div>
  );
}

function MailList({ mails, busy }: { mails: DevMail[]; busy: boolean }) {
  const { t } = useTranslation();
  const headingId = useId();

  return (
    <section aria-labelledby={headingId} className="mt-8">
      <h2 id={headingId} className="sr-only">
        {t('devMailbox.listLabel')}
      </h2>
      {/* role="list": Safari drops list semantics from lists styled without markers. */}
      <ul
        role="list"
        aria-busy={busy}
        data-testid="mail-list"
        className="divide-y divide-slate-100 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm"
      >
        {mails.map((mail) => (
          <MailListItem key={mail.id} mail={mail} />
        ))}
      </ul>
    </section>
  );
}

function MailListItem({ mail }: { mail: DevMail }) {
  const { t, i18n } = useTranslation();
  const location = useLocation();
  const now = useNow();
  const sentAt = new Date(mail.createdAt);
  const preview = mail.text.trim().split('\n', 1)[0] ?? '';

  return (
    <li data-testid="mail-list-item">
      <Link
        to={`/dev/mailbox/${encodeURIComponent(mail.id)}`}
        // Lets "All messages" on the message page come back to this page of the list.
        state={{ listSearch: location.search }}
        className="block px-5 py-4 hover:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600"
      >
        <span className="flex flex-col gap-1 sm:flex-row sm:items-baseline sm:justify-between sm:gap-4">
          <span className="font-bold text-slate-900" data-testid="mail-subject">
            {mail.subject || t('devMailbox.noSubject')}
          </span>
          <time
            dateTime={mail.createdAt}
            title={formatDateTime(sentAt, i18n.language)}
            className="shrink-0 text-xs text-slate-500"
          >
            {formatRelativeTime(sentAt, now, i18n.language)}
          </time>
        </span>
        <span className="mt-1 block text-sm text-slate-600 wrap-anywhere" data-testid="mail-recipients">
          {t('devMailbox.recipients', { recipients: mail.to.join(', ') })}
        </span>
        {preview && <span className="mt-1 block truncate text-sm text-slate-400">{preview}</span>}
      </Link>
    </li>
  );
}

/**
 * Stays focusable when there is no page to go to (aria-disabled rather than
 * disabled), so focus is not lost to the document when the last page is reached.
 */
function PagerButton({
  enabled,
  onActivate,
  children,
}: {
  enabled: boolean;
  onActivate: () => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      aria-disabled={!enabled}
      onClick={() => {
        if (enabled) onActivate();
      }}
      className={`${secondaryButton} aria-disabled:cursor-not-allowed aria-disabled:opacity-50 aria-disabled:hover:bg-white`}
    >
      {children}
    </button>
  );
}

function Notice({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="mt-8 rounded-2xl border border-dashed border-slate-300 bg-white px-6 py-12 text-center">
      <h2 className="font-bold text-slate-900">{title}</h2>
      {children}
    </div>
  );
}

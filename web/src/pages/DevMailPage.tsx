import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router';
import {
  devMailboxKeys,
  fetchMail,
  isMailboxUnavailable,
  isMailNotFound,
  retryUnlessClientError,
  type DevMail,
} from '../api/devMailbox';
import { MailboxError } from '../components/MailboxError';
import { formatDateTime, formatRelativeTime } from '../lib/time';
import { useNow } from '../lib/useNow';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';

/** The list's query string (its page) handed over by the list's links, if it came from there. */
function listSearchFrom(state: unknown): string {
  if (typeof state !== 'object' || state === null || !('listSearch' in state)) return '';
  const { listSearch } = state;
  return typeof listSearch === 'string' && listSearch.startsWith('?') ? listSearch : '';
}

export function DevMailPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const location = useLocation();
  const message = useQuery({
    queryKey: devMailboxKeys.message(id),
    queryFn: ({ signal }) => fetchMail(id, signal),
    // A message never changes once sent.
    staleTime: Infinity,
    retry: retryUnlessClientError,
  });

  return (
    <div className="mx-auto max-w-4xl px-4 py-12 sm:px-6">
      <Link
        to={{ pathname: '/dev/mailbox', search: listSearchFrom(location.state) }}
        className={`inline-flex items-center gap-1 rounded-md text-sm font-medium text-indigo-700 hover:text-indigo-900 ${focusRing}`}
      >
        <span aria-hidden="true">←</span> {t('devMailbox.message.back')}
      </Link>

      {/* Always in the DOM, so screen readers announce when loading starts and ends. */}
      <p role="status" className={message.isPending ? 'mt-8 text-sm text-slate-500' : 'sr-only'}>
        {message.isPending ? t('devMailbox.message.loading') : ''}
      </p>

      {message.data ? (
        <MailView mail={message.data} />
      ) : message.isError ? (
        isMailNotFound(message.error) ? (
          <div role="alert" className="mt-8 rounded-2xl border border-dashed border-slate-300 bg-white px-6 py-12">
            <h1 className="text-2xl font-bold tracking-tight text-slate-900">
              {t('devMailbox.message.notFound.title')}
            </h1>
            <p className="mt-2 text-slate-600">{t('devMailbox.message.notFound.body')}</p>
          </div>
        ) : (
          <>
            <h1 className="sr-only">{t('devMailbox.title')}</h1>
            <MailboxError
              unavailable={isMailboxUnavailable(message.error)}
              failureText={t('devMailbox.message.error')}
              onRetry={() => void message.refetch()}
            />
          </>
        )
      ) : null}
    </div>
  );
}

function MailView({ mail }: { mail: DevMail }) {
  const { t, i18n } = useTranslation();
  const now = useNow();
  const titleId = useId();
  const detailsId = useId();
  const bodyId = useId();
  const titleRef = useRef<HTMLHeadingElement>(null);
  const [format, setFormat] = useState<'text' | 'html'>('text');
  const sentAt = new Date(mail.createdAt);

  // Coming from the list, focus would otherwise stay on a link that no longer
  // exists; the heading is where a screen reader should pick up.
  useEffect(() => {
    titleRef.current?.focus();
  }, [mail.id]);

  return (
    <article aria-labelledby={titleId} className="mt-6">
      <h1
        id={titleId}
        ref={titleRef}
        tabIndex={-1}
        data-testid="mail-subject"
        className="text-2xl font-bold tracking-tight text-slate-900 outline-none sm:text-3xl"
      >
        {mail.subject || t('devMailbox.noSubject')}
      </h1>

      <section aria-labelledby={detailsId}>
        <h2 id={detailsId} className="sr-only">
          {t('devMailbox.message.details')}
        </h2>
        <dl className="mt-6 grid grid-cols-1 gap-x-6 gap-y-1 rounded-2xl border border-slate-200 bg-white p-5 text-sm shadow-sm sm:grid-cols-[max-content_1fr] sm:gap-y-3">
          <dt className="font-medium text-slate-500">{t('devMailbox.message.from')}</dt>
          <dd className="text-slate-900 wrap-anywhere" data-testid="mail-from">
            {mail.from}
          </dd>
          <dt className="mt-2 font-medium text-slate-500 sm:mt-0">{t('devMailbox.message.to')}</dt>
          <dd className="text-slate-900 wrap-anywhere" data-testid="mail-to">
            {mail.to.join(', ')}
          </dd>
          <dt className="mt-2 font-medium text-slate-500 sm:mt-0">{t('devMailbox.message.date')}</dt>
          <dd className="text-slate-900">
            <time dateTime={mail.createdAt}>{formatDateTime(sentAt, i18n.language)}</time>
            <span className="ml-2 text-slate-500">({formatRelativeTime(sentAt, now, i18n.language)})</span>
          </dd>
        </dl>
      </section>

      <section aria-labelledby={bodyId} className="mt-8">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id={bodyId} className="text-lg font-bold text-slate-900">
            {t('devMailbox.message.body')}
          </h2>
          {mail.html !== null && <FormatSwitch format={format} onChange={setFormat} />}
        </div>

        {format === 'html' && mail.html !== null ? (
          <HtmlBody html={mail.html} />
        ) : mail.text.trim() ? (
          <pre
            data-testid="mail-text"
            className="mt-4 rounded-2xl border border-slate-200 bg-white p-5 font-sans text-sm leading-6 whitespace-pre-wrap text-slate-800 shadow-sm wrap-anywhere"
          >
            {mail.text}
          </pre>
        ) : (
          <p className="mt-4 text-sm text-slate-500">{t('devMailbox.message.noText')}</p>
        )}
      </section>
    </article>
  );
}

function FormatSwitch({ format, onChange }: { format: 'text' | 'html'; onChange: (next: 'text' | 'html') => void }) {
  const { t } = useTranslation();
  const option = (value: 'text' | 'html', label: string) => (
    <button
      type="button"
      aria-pressed={format === value}
      onClick={() => onChange(value)}
      className={`px-3 py-1.5 text-sm font-medium first:rounded-l-md last:rounded-r-md aria-pressed:bg-indigo-700 aria-pressed:text-white not-aria-pressed:bg-white not-aria-pressed:text-slate-700 not-aria-pressed:hover:bg-slate-50 ${focusRing}`}
    >
      {label}
    </button>
  );

  return (
    <div
      role="group"
      aria-label={t('devMailbox.message.formatLabel')}
      className="inline-flex divide-x divide-slate-300 rounded-md border border-slate-300 shadow-xs"
    >
      {option('text', t('devMailbox.message.showText'))}
      {option('html', t('devMailbox.message.showHtml'))}
    </div>
  );
}

/**
 * A policy of the mail document's own, first in it: Chromium does not always
 * apply the page's inherited CSP to a sandboxed srcdoc frame before its images
 * start loading (a tracking pixel went out in about one run in three).
 */
export const MAIL_FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** Attributes through which markup fetches something by itself. */
const FETCHING_ATTRIBUTES = ['src', 'srcset', 'background', 'poster', 'data'];

/**
 * The mail as the frame's document: its own policy first, and every address
 * its markup would fetch by itself (images, media, objects, style sheets)
 * taken out, data: URLs apart. Even the meta policy let a tracking pixel out
 * now and then (Chromium's preload scanner can ask for an image before the
 * policy is in force), so the addresses are not left for the policy to stop.
 * DOMParser's document is inert: nothing in it loads or runs while it is read.
 */
export function mailFrameDocument(html: string): string {
  const document = new DOMParser().parseFromString(html, 'text/html');
  for (const element of document.querySelectorAll('link, base')) element.remove();
  for (const element of document.querySelectorAll(FETCHING_ATTRIBUTES.map((name) => `[${name}]`).join(', '))) {
    for (const name of FETCHING_ATTRIBUTES) {
      const value = element.getAttribute(name);
      if (value !== null && !/^\s*data:/i.test(value)) element.removeAttribute(name);
    }
  }
  const policy = document.createElement('meta');
  policy.httpEquiv = 'Content-Security-Policy';
  policy.content = MAIL_FRAME_CSP;
  document.head.prepend(policy);
  return `<!doctype html>${document.documentElement.outerHTML}`;
}

/**
 * The HTML is mail content from anywhere, so it never enters this document: it
 * renders in an iframe with every sandbox permission off (no scripts, forms,
 * popups or same-origin access), under its own strict policy as well as the
 * page's, so remote images stay blocked.
 */
function HtmlBody({ html }: { html: string }) {
  const { t } = useTranslation();
  return (
    <>
      <iframe
        sandbox=""
        srcDoc={mailFrameDocument(html)}
        title={t('devMailbox.message.htmlFrameTitle')}
        referrerPolicy="no-referrer"
        data-testid="mail-html"
        className="mt-4 h-[32rem] w-full rounded-2xl border border-slate-200 bg-white shadow-sm"
      />
      <p className="mt-2 text-xs text-slate-500">{t('devMailbox.message.htmlNote')}</p>
    </>
  );
}

import { useTranslation } from 'react-i18next';

/** Why the mailbox or a message could not be shown: not a development server, or a failure worth retrying. */
export function MailboxError({
  unavailable,
  failureText,
  onRetry,
}: {
  unavailable: boolean;
  failureText: string;
  onRetry: () => void;
}) {
  const { t } = useTranslation();

  if (unavailable) {
    return (
      <div role="alert" className="mt-8 rounded-2xl border border-amber-200 bg-amber-50 px-6 py-5 text-amber-900">
        <h2 className="font-bold">{t('devMailbox.unavailable.title')}</h2>
        <p className="mt-2 text-sm">{t('devMailbox.unavailable.body')}</p>
      </div>
    );
  }
  return (
    <div
      role="alert"
      className="mt-8 flex flex-wrap items-center gap-3 rounded-2xl border border-red-200 bg-red-50 px-6 py-5 text-sm text-red-800"
    >
      <p>{failureText}</p>
      <button
        type="button"
        onClick={onRetry}
        className="rounded-md border border-red-300 px-3 py-1.5 font-medium hover:bg-red-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600"
      >
        {t('devMailbox.retry')}
      </button>
    </div>
  );
}

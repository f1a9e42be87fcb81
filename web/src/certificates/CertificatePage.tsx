import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../api/apiError';
import { useAuth } from '../auth/AuthProvider';
import { describeError } from '../auth/errorMessages';
import { Loading } from '../catalog/components/AsyncState';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { FormAlert, linkClass, primaryButton, secondaryButton } from '../components/form';
import { certificateKeys, fetchCertificate, fetchCertificatePdf, saveBlob, type Certificate } from './api';

/** The day printed on the PDF is Korea's; the page says the same day, in the reader's language. */
const CERTIFICATE_TIME_ZONE = 'Asia/Seoul';

function formatDay(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: CERTIFICATE_TIME_ZONE }).format(
    new Date(iso),
  );
}

/**
 * The public verification page a certificate's QR code and URL lead to: anyone sees whether the id
 * is genuine and what it certifies; its student (and admins) can download the PDF here too.
 */
export function CertificatePage() {
  const { t } = useTranslation();
  const { code = '' } = useParams();
  const { state } = useAuth();
  const viewer = state.status === 'authenticated' ? state.user.id : null;
  const certificate = useQuery({
    queryKey: certificateKeys.one(code, viewer),
    queryFn: ({ signal }) => fetchCertificate(code, signal),
    // Wait for the session: asked anonymously first, the holder would not see their download.
    enabled: state.status !== 'loading',
    retry: false,
  });
  useDocumentTitle(t('certificates.documentTitle'));

  return (
    <section className="mx-auto max-w-3xl px-4 py-10 sm:px-6">
      <p className="text-sm font-bold text-indigo-700">{t('certificates.eyebrow')}</p>
      {certificate.isPending ? (
        <Loading label={t('certificates.loading')} />
      ) : certificate.isError ? (
        certificate.error instanceof ApiError && certificate.error.status === 404 ? (
          <NotFound code={code} />
        ) : (
          <div className="mt-4">
            <FormAlert error={describeError(certificate.error)}>
              <button type="button" className={`${secondaryButton} mt-3`} onClick={() => void certificate.refetch()}>
                {t('certificates.retry')}
              </button>
            </FormAlert>
          </div>
        )
      ) : (
        <CertificateView certificate={certificate.data} signedIn={viewer !== null} />
      )}
    </section>
  );
}

function NotFound({ code }: { code: string }) {
  const { t } = useTranslation();
  return (
    <div className="mt-2">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t('certificates.notFound.title')}</h1>
      <div role="status" className="mt-6 rounded-xl border-2 border-red-300 bg-red-50 p-5 text-red-900">
        <p className="flex items-center gap-2 text-lg font-bold">
          <span aria-hidden="true">✕</span>
          {t('certificates.notFound.status')}
        </p>
        <p className="mt-2 text-sm">{t('certificates.notFound.body', { code })}</p>
      </div>
    </div>
  );
}

export function CertificateView({ certificate, signedIn }: { certificate: Certificate; signedIn: boolean }) {
  const { t, i18n } = useTranslation();
  const issued = certificate.status === 'issued';
  const rows: [label: string, value: ReactNode][] = [
    [t('certificates.fields.student'), certificate.studentName],
    [
      t('certificates.fields.course'),
      certificate.courseSlug ? (
        <Link to={`/courses/${encodeURIComponent(certificate.courseSlug)}`} className={linkClass}>
          {certificate.courseTitle}
        </Link>
      ) : (
        certificate.courseTitle
      ),
    ],
    [t('certificates.fields.instructor'), certificate.instructorName],
    [t('certificates.fields.completedAt'), formatDay(certificate.completedAt, i18n.language)],
    [t('certificates.fields.code'), <span className="font-mono">{certificate.code}</span>],
  ];
  return (
    <div className="mt-2">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t('certificates.title')}</h1>
      {issued ? (
        <div role="status" className="mt-6 rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5 text-emerald-900">
          <p className="flex items-center gap-2 text-lg font-bold">
            <span aria-hidden="true">✓</span>
            {t('certificates.valid.status')}
          </p>
          <p className="mt-2 text-sm">
            {t('certificates.valid.body', {
              student: certificate.studentName,
              course: certificate.courseTitle,
            })}
          </p>
        </div>
      ) : (
        <div role="status" className="mt-6 rounded-xl border-2 border-amber-300 bg-amber-50 p-5 text-amber-900">
          <p className="flex items-center gap-2 text-lg font-bold">
            <span aria-hidden="true">…</span>
            {t('certificates.pending.status')}
          </p>
          <p className="mt-2 text-sm">{t('certificates.pending.body')}</p>
        </div>
      )}

      <h2 className="mt-8 text-xl font-bold text-slate-900">{t('certificates.detailsHeading')}</h2>
      <dl className="mt-4 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white">
        {rows.map(([label, value]) => (
          <div key={label} className="grid gap-1 px-5 py-3 sm:grid-cols-[12rem_1fr] sm:gap-4">
            <dt className="text-sm text-slate-500">{label}</dt>
            <dd className="font-medium break-words text-slate-900">{value}</dd>
          </div>
        ))}
      </dl>

      <Download certificate={certificate} signedIn={signedIn} />
    </div>
  );
}

/** The holder's download; `?download=1` (the link in the "issued" mail) starts it by itself once. */
function Download({ certificate, signedIn }: { certificate: Certificate; signedIn: boolean }) {
  const { t } = useTranslation();
  const location = useLocation();
  const [params] = useSearchParams();
  const wantsDownload = params.get('download') === '1';
  const download = useMutation({
    mutationFn: async () =>
      saveBlob(await fetchCertificatePdf(certificate.code), `lectio-certificate-${certificate.code}.pdf`),
  });
  const started = useRef(false);
  const ready = certificate.status === 'issued' && certificate.canDownload;
  useEffect(() => {
    if (!wantsDownload || !ready || started.current) return;
    started.current = true;
    download.mutate();
  }, [wantsDownload, ready, download]);

  if (!signedIn) {
    if (!wantsDownload) return null;
    const next = `${location.pathname}${location.search}`;
    return (
      <p className="mt-6 text-sm text-slate-700">
        <Link to={`/login?next=${encodeURIComponent(next)}`} className={linkClass}>
          {t('certificates.download.signIn')}
        </Link>
      </p>
    );
  }
  if (!certificate.canDownload) return null;
  const pending = download.error instanceof ApiError && download.error.code === 'certificate_pending';
  return (
    <div className="mt-6">
      <button
        type="button"
        className={primaryButton}
        disabled={!ready || download.isPending}
        onClick={() => download.mutate()}
      >
        {download.isPending ? t('certificates.download.pending') : t('certificates.download.button')}
      </button>
      {!ready && <p className="mt-2 text-sm text-slate-600">{t('certificates.download.notYet')}</p>}
      <div className="mt-3">
        {pending ? (
          <p role="alert" className="text-sm text-amber-900">
            {t('certificates.download.notYet')}
          </p>
        ) : (
          <FormAlert error={download.isError ? describeError(download.error) : null} />
        )}
      </div>
    </div>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { verifyEmail } from '../../api/accounts';
import { describeError } from '../../auth/errorMessages';
import { FormAlert, Notice, PageCard, linkClass, primaryButton } from '../../components/form';

export function VerifyEmailPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  // The token is single-use: a query (not an effect) runs it exactly once, even under StrictMode.
  const verification = useQuery({
    queryKey: ['verify-email', token],
    queryFn: () => verifyEmail(token),
    enabled: token !== '',
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
    refetchOnWindowFocus: false,
  });

  return (
    <PageCard title={t('auth.verify.title')}>
      {!token ? (
        <FormAlert error={{ key: 'errors.invalid_token' }} />
      ) : verification.isPending ? (
        <p role="status" className="text-sm text-slate-600">
          {t('auth.verify.pending')}
        </p>
      ) : verification.isError ? (
        <FormAlert error={describeError(verification.error)} />
      ) : (
        <>
          <Notice>{t('auth.verify.done')}</Notice>
          <Link to="/login" className={`mt-6 ${primaryButton}`}>
            {t('auth.login.link')}
          </Link>
        </>
      )}
      {(verification.isError || !token) && (
        <p className="mt-6 text-sm">
          <Link to="/login" className={linkClass}>
            {t('auth.login.link')}
          </Link>
        </p>
      )}
    </PageCard>
  );
}

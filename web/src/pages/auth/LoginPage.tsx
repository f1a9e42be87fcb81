import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { login, resendVerification } from '../../api/accounts';
import { ApiError } from '../../api/apiError';
import { useAuth } from '../../auth/AuthProvider';
import { safeNextPath } from '../../auth/errorMessages';
import { chooseLanguage } from '../../i18n';
import {
  ErrorTrackingForm,
  Notice,
  PageCard,
  PasswordField,
  SubmitButton,
  TextField,
  linkClass,
  primaryButton,
  secondaryButton,
  useFormErrors,
} from '../../components/form';

export function LoginPage() {
  const { t } = useTranslation();
  const { state } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNextPath(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [unverified, setUnverified] = useState(false);
  const [resent, setResent] = useState(false);
  const form = useFormErrors();

  if (state.status === 'authenticated' && !pending) return <Navigate to={next} replace />;

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!email.trim()) errors.email = t('auth.validation.email');
    if (!password) errors.password = t('auth.validation.password');
    if (!form.validate(errors)) return;
    setPending(true);
    setUnverified(false);
    setResent(false);
    try {
      const session = await login({ email: email.trim(), password });
      void chooseLanguage(session.user.locale);
      void navigate(next, { replace: true });
    } catch (error) {
      setUnverified(error instanceof ApiError && error.code === 'email_not_verified');
      form.fail(error);
    } finally {
      setPending(false);
    }
  }

  async function handleResend() {
    try {
      await resendVerification(email.trim());
      setResent(true);
    } catch (error) {
      form.fail(error);
    }
  }

  return (
    <PageCard title={t('auth.login.title')}>
      <ErrorTrackingForm
        form={form}
        onSubmit={handleSubmit}
        className="space-y-5"
        alertActions={
          unverified &&
          !resent && (
            <button type="button" onClick={() => void handleResend()} className={`mt-3 ${secondaryButton}`}>
              {t('auth.login.resend')}
            </button>
          )
        }
      >
        {resent && <Notice>{t('auth.login.resent')}</Notice>}
        <TextField
          label={t('auth.fields.email')}
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={form.fieldErrors.email}
        />
        <PasswordField
          label={t('auth.fields.password')}
          name="password"
          required
          value={password}
          onValueChange={setPassword}
          error={form.fieldErrors.password}
        />
        <SubmitButton pending={pending} className={`w-full ${primaryButton}`}>
          {t('auth.login.submit')}
        </SubmitButton>
        <div className="flex flex-wrap justify-between gap-2 text-sm">
          <Link to="/forgot-password" className={linkClass}>
            {t('auth.forgot.link')}
          </Link>
          <Link to="/signup" className={linkClass}>
            {t('auth.signup.link')}
          </Link>
        </div>
      </ErrorTrackingForm>
    </PageCard>
  );
}

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { forgotPassword, resetPassword } from '../../api/accounts';
import { FormAlert, Notice, PageCard, TextField, linkClass, primaryButton, useFormErrors } from '../../components/form';
import { PasswordHint, passwordLengthOk } from './PasswordHint';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [pending, setPending] = useState(false);
  const [sent, setSent] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form.validate(email.trim() ? {} : { email: t('auth.validation.email') })) return;
    setPending(true);
    try {
      await forgotPassword(email.trim());
      setSent(true);
    } catch (error) {
      form.fail(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <PageCard title={t('auth.forgot.title')}>
      {sent ? (
        <Notice>{t('auth.forgot.sent')}</Notice>
      ) : (
        <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-5">
          <p className="text-sm text-slate-600">{t('auth.forgot.intro')}</p>
          <FormAlert error={form.formError} id={form.alertId} />
          <TextField
            label={t('auth.fields.email')}
            name="email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            error={form.fieldErrors.email}
          />
          <button type="submit" disabled={pending} className={`w-full ${primaryButton}`}>
            {pending ? t('auth.pending') : t('auth.forgot.submit')}
          </button>
        </form>
      )}
      <p className="mt-6 text-sm">
        <Link to="/login" className={linkClass}>
          {t('auth.login.link')}
        </Link>
      </p>
    </PageCard>
  );
}

export function ResetPasswordPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [done, setDone] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form.validate(passwordLengthOk(password) ? {} : { password: t('errors.invalid_password') })) return;
    setPending(true);
    try {
      await resetPassword({ token, password });
      setDone(true);
    } catch (error) {
      form.fail(error, { invalid_password: 'password' });
    } finally {
      setPending(false);
    }
  }

  return (
    <PageCard title={t('auth.reset.title')}>
      {done ? (
        <>
          <Notice>{t('auth.reset.done')}</Notice>
          <Link to="/login" className={`mt-6 ${primaryButton}`}>
            {t('auth.login.link')}
          </Link>
        </>
      ) : !token ? (
        <FormAlert error={{ key: 'errors.invalid_token' }} />
      ) : (
        <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-5">
          <FormAlert error={form.formError} id={form.alertId} />
          <TextField
            label={t('auth.fields.newPassword')}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            error={form.fieldErrors.password}
            hint={<PasswordHint password={password} />}
          />
          <button type="submit" disabled={pending} className={`w-full ${primaryButton}`}>
            {pending ? t('auth.pending') : t('auth.reset.submit')}
          </button>
        </form>
      )}
    </PageCard>
  );
}

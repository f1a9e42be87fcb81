import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { forgotPassword, resetPassword } from '../../api/accounts';
import {
  ErrorTrackingForm,
  FormAlert,
  Notice,
  PageCard,
  PasswordField,
  SubmitButton,
  TextField,
  linkClass,
  primaryButton,
  useFormErrors,
} from '../../components/form';
import { passwordLengthOk } from '../../components/PasswordHint';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form.validate(email.trim() ? {} : { email: t('auth.validation.email') })) return;
    await form.submit(async () => {
      await forgotPassword(email.trim());
      setSent(true);
    });
  }

  return (
    <PageCard title={t('auth.forgot.title')}>
      {sent ? (
        <Notice>{t('auth.forgot.sent')}</Notice>
      ) : (
        <ErrorTrackingForm
          form={form}
          onSubmit={handleSubmit}
          className="space-y-5"
          intro={<p className="text-sm text-slate-600">{t('auth.forgot.intro')}</p>}
        >
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
          <SubmitButton pending={form.pending} className={`w-full ${primaryButton}`}>
            {t('auth.forgot.submit')}
          </SubmitButton>
        </ErrorTrackingForm>
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
  const [done, setDone] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form.validate(passwordLengthOk(password) ? {} : { password: t('errors.invalid_password') })) return;
    await form.submit(
      async () => {
        await resetPassword({ token, password });
        setDone(true);
      },
      { invalid_password: 'password' },
    );
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
        <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-5">
          <PasswordField
            label={t('auth.fields.newPassword')}
            name="password"
            isNew
            required
            value={password}
            onValueChange={setPassword}
            error={form.fieldErrors.password}
          />
          <SubmitButton pending={form.pending} className={`w-full ${primaryButton}`}>
            {t('auth.reset.submit')}
          </SubmitButton>
        </ErrorTrackingForm>
      )}
    </PageCard>
  );
}

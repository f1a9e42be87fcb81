import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import {
  accountKeys,
  applyToTeach,
  changeEmail,
  changePassword,
  deactivateAccount,
  deleteAccount,
  exportMyData,
  fetchMyApplication,
  updateMe,
} from '../api/accounts';
import { MOTIVATION_MAX, MOTIVATION_MIN, type Locale, type Me } from '../api/accountsTypes';
import { useAuth } from '../auth/AuthProvider';
import { describeError } from '../auth/errorMessages';
import {
  CheckboxField,
  FormAlert,
  Notice,
  TextAreaField,
  TextField,
  dangerButton,
  linkClass,
  primaryButton,
  secondaryButton,
  useFormErrors,
} from '../components/form';
import { chooseLanguage } from '../i18n';
import { PasswordHint, passwordLengthOk } from './auth/PasswordHint';
import { LocaleSelect } from './auth/SignupPage';

export function SettingsPage() {
  const { t } = useTranslation();
  const { state } = useAuth();
  if (state.status !== 'authenticated') return null;
  const user = state.user;

  return (
    <section className="mx-auto max-w-3xl px-4 py-12 sm:px-6">
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{t('settings.title')}</h1>
        <Link to="/settings/sessions" className={linkClass}>
          {t('settings.sessionsLink')}
        </Link>
      </div>
      <div className="mt-8 space-y-8">
        <ProfileSection key={user.id} user={user} />
        <PasswordSection />
        <EmailSection currentEmail={user.email} />
        {user.role === 'student' && <TeachSection />}
        <ExportSection />
        <DeactivateSection />
        <DeleteSection />
      </div>
    </section>
  );
}

function Section({
  id,
  title,
  children,
  danger,
}: {
  id: string;
  title: string;
  children: ReactNode;
  danger?: boolean;
}) {
  return (
    <section
      aria-labelledby={id}
      className={`rounded-2xl border bg-white p-6 shadow-sm ${danger ? 'border-red-200' : 'border-slate-200'}`}
    >
      <h2 id={id} className={`text-lg font-bold ${danger ? 'text-red-800' : 'text-slate-900'}`}>
        {title}
      </h2>
      <div className="mt-4">{children}</div>
    </section>
  );
}

function ProfileSection({ user }: { user: Me }) {
  const { t } = useTranslation();
  const [displayName, setDisplayName] = useState(user.displayName);
  const [locale, setLocale] = useState<Locale>(user.locale);
  const [marketing, setMarketing] = useState(user.marketingConsent);
  const [pending, setPending] = useState(false);
  const [saved, setSaved] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    if (!form.validate(displayName.trim() ? {} : { displayName: t('auth.validation.displayName') })) return;
    setPending(true);
    try {
      const me = await updateMe({ displayName: displayName.trim(), locale, marketingConsent: marketing });
      void chooseLanguage(me.locale);
      setSaved(true);
    } catch (error) {
      form.fail(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <Section id="settings-profile" title={t('settings.profile.title')}>
      <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-4">
        <FormAlert error={form.formError} id={form.alertId} />
        {saved && <Notice>{t('settings.saved')}</Notice>}
        <TextField
          label={t('auth.fields.displayName')}
          name="displayName"
          required
          maxLength={100}
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          error={form.fieldErrors.displayName}
        />
        <LocaleSelect value={locale} onChange={setLocale} />
        <CheckboxField
          name="marketingConsent"
          checked={marketing}
          onChange={(event) => setMarketing(event.target.checked)}
          label={t('auth.signup.marketing')}
        />
        <button type="submit" disabled={pending} className={primaryButton}>
          {pending ? t('auth.pending') : t('settings.save')}
        </button>
      </form>
    </Section>
  );
}

function PasswordSection() {
  const { t } = useTranslation();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [saved, setSaved] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const errors: Record<string, string> = {};
    if (!currentPassword) errors.currentPassword = t('auth.validation.password');
    if (!passwordLengthOk(newPassword)) errors.newPassword = t('errors.invalid_password');
    if (!form.validate(errors)) return;
    setPending(true);
    try {
      await changePassword({ currentPassword, newPassword });
      setCurrentPassword('');
      setNewPassword('');
      setSaved(true);
    } catch (error) {
      form.fail(error, { wrong_password: 'currentPassword', invalid_password: 'newPassword' });
    } finally {
      setPending(false);
    }
  }

  return (
    <Section id="settings-password" title={t('settings.password.title')}>
      <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-4">
        <FormAlert error={form.formError} id={form.alertId} />
        {saved && <Notice>{t('settings.password.done')}</Notice>}
        <TextField
          label={t('auth.fields.currentPassword')}
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(event) => setCurrentPassword(event.target.value)}
          error={form.fieldErrors.currentPassword}
        />
        <TextField
          label={t('auth.fields.newPassword')}
          name="newPassword"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(event) => setNewPassword(event.target.value)}
          error={form.fieldErrors.newPassword}
          hint={<PasswordHint password={newPassword} />}
        />
        <button type="submit" disabled={pending} className={primaryButton}>
          {pending ? t('auth.pending') : t('settings.password.submit')}
        </button>
      </form>
    </Section>
  );
}

function EmailSection({ currentEmail }: { currentEmail: string }) {
  const { t } = useTranslation();
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSentTo(null);
    const errors: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(newEmail.trim())) errors.newEmail = t('auth.validation.email');
    if (!password) errors.password = t('auth.validation.password');
    if (!form.validate(errors)) return;
    setPending(true);
    try {
      await changeEmail({ newEmail: newEmail.trim(), password });
      setSentTo(newEmail.trim());
      setNewEmail('');
      setPassword('');
    } catch (error) {
      form.fail(error, { wrong_password: 'password' });
    } finally {
      setPending(false);
    }
  }

  return (
    <Section id="settings-email" title={t('settings.email.title')}>
      <p className="mb-4 text-sm text-slate-600">{t('settings.email.current', { email: currentEmail })}</p>
      <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-4">
        <FormAlert error={form.formError} id={form.alertId} />
        {sentTo && <Notice>{t('settings.email.sent', { email: sentTo })}</Notice>}
        <TextField
          label={t('settings.email.newEmail')}
          name="newEmail"
          type="email"
          autoComplete="email"
          value={newEmail}
          onChange={(event) => setNewEmail(event.target.value)}
          error={form.fieldErrors.newEmail}
        />
        <TextField
          label={t('auth.fields.currentPassword')}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={form.fieldErrors.password}
        />
        <button type="submit" disabled={pending} className={primaryButton}>
          {pending ? t('auth.pending') : t('settings.email.submit')}
        </button>
      </form>
    </Section>
  );
}

function TeachSection() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const application = useQuery({
    queryKey: accountKeys.application,
    queryFn: ({ signal }) => fetchMyApplication(signal),
  });
  const [motivation, setMotivation] = useState('');
  const [pending, setPending] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const length = motivation.trim().length;
    const ok = length >= MOTIVATION_MIN && length <= MOTIVATION_MAX;
    if (
      !form.validate(ok ? {} : { motivation: t('settings.teach.length', { min: MOTIVATION_MIN, max: MOTIVATION_MAX }) })
    )
      return;
    setPending(true);
    try {
      const created = await applyToTeach(motivation.trim());
      queryClient.setQueryData(accountKeys.application, created);
    } catch (error) {
      form.fail(error, { validation_failed: 'motivation' });
    } finally {
      setPending(false);
    }
  }

  const current = application.data;
  return (
    <Section id="settings-teach" title={t('settings.teach.title')}>
      {application.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          {t('auth.checking')}
        </p>
      ) : application.isError ? (
        <FormAlert error={describeError(application.error)} />
      ) : current && current.status !== 'rejected' ? (
        <ApplicationStatusView status={current.status} note={current.decisionNote} />
      ) : (
        <>
          {current && <ApplicationStatusView status={current.status} note={current.decisionNote} />}
          <form id={form.formId} noValidate onSubmit={handleSubmit} className="mt-2 space-y-4">
            <p className="text-sm text-slate-600">{t('settings.teach.intro')}</p>
            <FormAlert error={form.formError} id={form.alertId} />
            <TextAreaField
              label={t('settings.teach.motivation')}
              name="motivation"
              rows={5}
              maxLength={MOTIVATION_MAX}
              value={motivation}
              onChange={(event) => setMotivation(event.target.value)}
              error={form.fieldErrors.motivation}
              hint={t('settings.teach.count', { count: motivation.trim().length, max: MOTIVATION_MAX })}
            />
            <button type="submit" disabled={pending} className={primaryButton}>
              {pending ? t('auth.pending') : t('settings.teach.submit')}
            </button>
          </form>
        </>
      )}
    </Section>
  );
}

function ApplicationStatusView({ status, note }: { status: 'pending' | 'approved' | 'rejected'; note: string | null }) {
  const { t } = useTranslation();
  return (
    <div className="text-sm text-slate-700" data-testid="application-status">
      <p>
        <strong>{t('settings.teach.statusLabel')}</strong> {t(`settings.teach.status.${status}`)}
      </p>
      {note && <p className="mt-1 text-slate-600">{t('settings.teach.note', { note })}</p>}
    </div>
  );
}

function ExportSection() {
  const { t } = useTranslation();
  const [pending, setPending] = useState(false);
  const form = useFormErrors();

  async function handleExport() {
    setPending(true);
    form.clear();
    try {
      const blob = await exportMyData();
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `lectio-export-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      form.fail(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <Section id="settings-export" title={t('settings.export.title')}>
      <p className="mb-4 text-sm text-slate-600">{t('settings.export.intro')}</p>
      <FormAlert error={form.formError} id={form.alertId} />
      <button type="button" disabled={pending} onClick={() => void handleExport()} className={secondaryButton}>
        {pending ? t('auth.pending') : t('settings.export.submit')}
      </button>
    </Section>
  );
}

/** A password-confirmed, irreversible (or hard to reverse) account action. */
function ConfirmWithPassword({
  id,
  title,
  warning,
  confirmLabel,
  submitLabel,
  action,
}: {
  id: string;
  title: string;
  warning: string;
  confirmLabel: string;
  submitLabel: string;
  action: (password: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [pending, setPending] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!password) errors.password = t('auth.validation.password');
    if (!confirmed) errors.confirm = t('settings.confirmRequired');
    if (!form.validate(errors)) return;
    setPending(true);
    try {
      await action(password);
      queryClient.clear();
      void navigate('/', { replace: true });
    } catch (error) {
      form.fail(error, { wrong_password: 'password' });
      setPending(false);
    }
  }

  return (
    <Section id={id} title={title} danger>
      <p role="note" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-900">
        {warning}
      </p>
      <form id={form.formId} noValidate onSubmit={handleSubmit} className="space-y-4">
        <FormAlert error={form.formError} id={form.alertId} />
        <TextField
          label={t('auth.fields.currentPassword')}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={form.fieldErrors.password}
        />
        <CheckboxField
          name="confirm"
          checked={confirmed}
          onChange={(event) => setConfirmed(event.target.checked)}
          error={form.fieldErrors.confirm}
          label={confirmLabel}
        />
        <button type="submit" disabled={pending} className={dangerButton}>
          {pending ? t('auth.pending') : submitLabel}
        </button>
      </form>
    </Section>
  );
}

function DeactivateSection() {
  const { t } = useTranslation();
  return (
    <ConfirmWithPassword
      id="settings-deactivate"
      title={t('settings.deactivate.title')}
      warning={t('settings.deactivate.warning')}
      confirmLabel={t('settings.deactivate.confirm')}
      submitLabel={t('settings.deactivate.submit')}
      action={deactivateAccount}
    />
  );
}

function DeleteSection() {
  const { t } = useTranslation();
  return (
    <ConfirmWithPassword
      id="settings-delete"
      title={t('settings.delete.title')}
      warning={t('settings.delete.warning')}
      confirmLabel={t('settings.delete.confirm')}
      submitLabel={t('settings.delete.submit')}
      action={deleteAccount}
    />
  );
}

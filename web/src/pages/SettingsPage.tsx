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
  ErrorTrackingForm,
  FormAlert,
  Notice,
  PasswordField,
  SubmitButton,
  TextAreaField,
  TextField,
  dangerButton,
  linkClass,
  secondaryButton,
  useFormErrors,
} from '../components/form';
import { chooseLanguage } from '../i18n';
import { passwordLengthOk } from '../components/PasswordHint';
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
        <ConfirmWithPassword kind="deactivate" />
        <ConfirmWithPassword kind="delete" />
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
  const [saved, setSaved] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    if (!form.validate(displayName.trim() ? {} : { displayName: t('auth.validation.displayName') })) return;
    await form.submit(async () => {
      const me = await updateMe({ displayName: displayName.trim(), locale, marketingConsent: marketing });
      void chooseLanguage(me.locale);
      setSaved(true);
    });
  }

  return (
    <Section id="settings-profile" title={t('settings.profile.title')}>
      <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-4">
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
        <SubmitButton pending={form.pending}>{t('settings.save')}</SubmitButton>
      </ErrorTrackingForm>
    </Section>
  );
}

function PasswordSection() {
  const { t } = useTranslation();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [saved, setSaved] = useState(false);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const errors: Record<string, string> = {};
    if (!currentPassword) errors.currentPassword = t('auth.validation.password');
    if (!passwordLengthOk(newPassword)) errors.newPassword = t('errors.invalid_password');
    if (!form.validate(errors)) return;
    await form.submit(
      async () => {
        await changePassword({ currentPassword, newPassword });
        setCurrentPassword('');
        setNewPassword('');
        setSaved(true);
      },
      { wrong_password: 'currentPassword', invalid_password: 'newPassword' },
    );
  }

  return (
    <Section id="settings-password" title={t('settings.password.title')}>
      <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-4">
        {saved && <Notice>{t('settings.password.done')}</Notice>}
        <PasswordField
          label={t('auth.fields.currentPassword')}
          name="currentPassword"
          value={currentPassword}
          onValueChange={setCurrentPassword}
          error={form.fieldErrors.currentPassword}
        />
        <PasswordField
          label={t('auth.fields.newPassword')}
          name="newPassword"
          isNew
          value={newPassword}
          onValueChange={setNewPassword}
          error={form.fieldErrors.newPassword}
        />
        <SubmitButton pending={form.pending}>{t('settings.password.submit')}</SubmitButton>
      </ErrorTrackingForm>
    </Section>
  );
}

function EmailSection({ currentEmail }: { currentEmail: string }) {
  const { t } = useTranslation();
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSentTo(null);
    const errors: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(newEmail.trim())) errors.newEmail = t('auth.validation.email');
    if (!password) errors.password = t('auth.validation.password');
    if (!form.validate(errors)) return;
    await form.submit(
      async () => {
        await changeEmail({ newEmail: newEmail.trim(), password });
        setSentTo(newEmail.trim());
        setNewEmail('');
        setPassword('');
      },
      { wrong_password: 'password' },
    );
  }

  return (
    <Section id="settings-email" title={t('settings.email.title')}>
      <p className="mb-4 text-sm text-slate-600">{t('settings.email.current', { email: currentEmail })}</p>
      <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-4">
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
        <PasswordField
          label={t('auth.fields.currentPassword')}
          name="password"
          value={password}
          onValueChange={setPassword}
          error={form.fieldErrors.password}
        />
        <SubmitButton pending={form.pending}>{t('settings.email.submit')}</SubmitButton>
      </ErrorTrackingForm>
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
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const length = motivation.trim().length;
    const ok = length >= MOTIVATION_MIN && length <= MOTIVATION_MAX;
    if (
      !form.validate(ok ? {} : { motivation: t('settings.teach.length', { min: MOTIVATION_MIN, max: MOTIVATION_MAX }) })
    )
      return;
    await form.submit(
      async () => {
        const created = await applyToTeach(motivation.trim());
        queryClient.setQueryData(accountKeys.application, created);
      },
      { validation_failed: 'motivation' },
    );
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
          <ErrorTrackingForm
            form={form}
            onSubmit={handleSubmit}
            className="mt-2 space-y-4"
            intro={<p className="text-sm text-slate-600">{t('settings.teach.intro')}</p>}
          >
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
            <SubmitButton pending={form.pending}>{t('settings.teach.submit')}</SubmitButton>
          </ErrorTrackingForm>
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
  const form = useFormErrors();

  async function handleExport() {
    form.clear();
    await form.submit(async () => {
      const blob = await exportMyData();
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `lectio-export-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }

  return (
    <Section id="settings-export" title={t('settings.export.title')}>
      <p className="mb-4 text-sm text-slate-600">{t('settings.export.intro')}</p>
      <FormAlert error={form.formError} id={form.alertId} />
      <button type="button" disabled={form.pending} onClick={() => void handleExport()} className={secondaryButton}>
        {form.pending ? t('auth.pending') : t('settings.export.submit')}
      </button>
    </Section>
  );
}

/** What each password-confirmed account action does; its texts live under settings.<kind>. */
const CONFIRMED_ACTIONS = {
  deactivate: deactivateAccount,
  delete: deleteAccount,
} satisfies Record<string, (password: string) => Promise<void>>;

/** A password-confirmed, irreversible (or hard to reverse) account action. */
function ConfirmWithPassword({ kind }: { kind: keyof typeof CONFIRMED_ACTIONS }) {
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
      await CONFIRMED_ACTIONS[kind](password);
      queryClient.clear();
      void navigate('/', { replace: true });
    } catch (error) {
      form.fail(error, { wrong_password: 'password' });
      setPending(false);
    }
  }

  return (
    <Section id={`settings-${kind}`} title={t(`settings.${kind}.title`)} danger>
      <p role="note" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-900">
        {t(`settings.${kind}.warning`)}
      </p>
      <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-4">
        <PasswordField
          label={t('auth.fields.currentPassword')}
          name="password"
          value={password}
          onValueChange={setPassword}
          error={form.fieldErrors.password}
        />
        <CheckboxField
          name="confirm"
          checked={confirmed}
          onChange={(event) => setConfirmed(event.target.checked)}
          error={form.fieldErrors.confirm}
          label={t(`settings.${kind}.confirm`)}
        />
        <SubmitButton pending={pending} className={dangerButton}>
          {t(`settings.${kind}.submit`)}
        </SubmitButton>
      </ErrorTrackingForm>
    </Section>
  );
}

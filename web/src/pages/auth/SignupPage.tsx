import { useState, type FormEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { register } from '../../api/accounts';
import type { Locale } from '../../api/accountsTypes';
import {
  CheckboxField,
  ErrorTrackingForm,
  Notice,
  PageCard,
  PasswordField,
  SubmitButton,
  TextField,
  inputClass,
  linkClass,
  primaryButton,
  useFormErrors,
} from '../../components/form';
import { isSupportedLanguage, LANGUAGE_ENDONYMS, SUPPORTED_LANGUAGES } from '../../i18n/language';
import { passwordLengthOk } from '../../components/PasswordHint';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

export function SignupPage() {
  const { t, i18n } = useTranslation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [locale, setLocale] = useState<Locale>(
    isSupportedLanguage(i18n.resolvedLanguage) ? i18n.resolvedLanguage : 'en',
  );
  const [terms, setTerms] = useState(false);
  const [privacy, setPrivacy] = useState(false);
  const [marketing, setMarketing] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useFormErrors();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!EMAIL_PATTERN.test(email.trim())) errors.email = t('auth.validation.email');
    if (!passwordLengthOk(password)) errors.password = t('errors.invalid_password');
    if (!displayName.trim()) errors.displayName = t('auth.validation.displayName');
    if (!terms) errors.terms = t('auth.validation.terms');
    if (!privacy) errors.privacy = t('auth.validation.privacy');
    if (!form.validate(errors)) return;
    await form.submit(
      async () => {
        await register({
          email: email.trim(),
          password,
          displayName: displayName.trim(),
          locale,
          consents: { terms: true, privacy: true, marketing },
        });
        setSentTo(email.trim());
      },
      { invalid_password: 'password', consent_required: 'terms' },
    );
  }

  if (sentTo) {
    return (
      <PageCard title={t('auth.checkMail.title')}>
        <Notice>{t('auth.checkMail.body', { email: sentTo })}</Notice>
        <p className="mt-4 text-sm text-slate-600">{t('auth.checkMail.hint')}</p>
        <p className="mt-6 text-sm">
          <Link to="/login" className={linkClass}>
            {t('auth.login.link')}
          </Link>
        </p>
      </PageCard>
    );
  }

  return (
    <PageCard title={t('auth.signup.title')}>
      <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="space-y-5">
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
        <PasswordField
          label={t('auth.fields.password')}
          name="password"
          isNew
          required
          maxLength={256}
          value={password}
          onValueChange={setPassword}
          error={form.fieldErrors.password}
        />
        <TextField
          label={t('auth.fields.displayName')}
          name="displayName"
          autoComplete="nickname"
          required
          maxLength={100}
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          error={form.fieldErrors.displayName}
        />
        <LocaleSelect value={locale} onChange={setLocale} />
        <fieldset className="space-y-3">
          <legend className="text-sm font-medium text-slate-800">{t('auth.signup.consents')}</legend>
          <PolicyConsent policy="terms" checked={terms} onChange={setTerms} error={form.fieldErrors.terms} />
          <PolicyConsent policy="privacy" checked={privacy} onChange={setPrivacy} error={form.fieldErrors.privacy} />
          <CheckboxField
            name="marketing"
            checked={marketing}
            onChange={(event) => setMarketing(event.target.checked)}
            label={t('auth.signup.marketing')}
          />
        </fieldset>
        <SubmitButton pending={form.pending} className={`w-full ${primaryButton}`}>
          {t('auth.signup.submit')}
        </SubmitButton>
        <p className="text-sm text-slate-600">
          {t('auth.signup.haveAccount')}{' '}
          <Link to="/login" className={linkClass}>
            {t('auth.login.link')}
          </Link>
        </p>
      </ErrorTrackingForm>
    </PageCard>
  );
}

export function LocaleSelect({ value, onChange }: { value: Locale; onChange: (locale: Locale) => void }) {
  const { t } = useTranslation();
  return (
    <div>
      <label htmlFor="account-locale" className="block text-sm font-medium text-slate-800">
        {t('auth.fields.locale')}
      </label>
      <select
        id="account-locale"
        name="locale"
        value={value}
        onChange={(event) => {
          if (isSupportedLanguage(event.target.value)) onChange(event.target.value);
        }}
        className={inputClass}
      >
        {SUPPORTED_LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_ENDONYMS[language]}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A required consent to one of the legal documents, linking to it in a new tab. */
function PolicyConsent(props: {
  policy: 'terms' | 'privacy';
  checked: boolean;
  onChange: (checked: boolean) => void;
  error: string | undefined;
}) {
  return (
    <CheckboxField
      name={props.policy}
      checked={props.checked}
      onChange={(event) => props.onChange(event.target.checked)}
      error={props.error}
      label={
        <Trans
          i18nKey={`auth.signup.${props.policy}`}
          components={{ doc: <Link to={`/${props.policy}`} target="_blank" className={linkClass} /> }}
        />
      }
    />
  );
}

import { useId, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage } from '../i18n';
import { FALLBACK_LANGUAGE, isSupportedLanguage, LANGUAGE_ENDONYMS, SUPPORTED_LANGUAGES } from '../i18n/language';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const selectId = useId();
  const activeLanguage = isSupportedLanguage(i18n.resolvedLanguage) ? i18n.resolvedLanguage : FALLBACK_LANGUAGE;

  function handleChange(event: ChangeEvent<HTMLSelectElement>) {
    const next = event.target.value;
    if (isSupportedLanguage(next)) void chooseLanguage(next);
  }

  return (
    <div className="flex items-center gap-2">
      <label htmlFor={selectId} className="flex items-center text-slate-500">
        <GlobeIcon />
        <span className="sr-only">{t('language.label')}</span>
      </label>
      <select
        id={selectId}
        value={activeLanguage}
        onChange={handleChange}
        className="rounded-md border border-slate-300 bg-white py-1.5 pr-8 pl-3 text-sm font-medium text-slate-800 shadow-xs hover:border-slate-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
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

function GlobeIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="hidden size-5 sm:block"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.75"
    >
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c2.5 2.5 3.75 5.5 3.75 9S14.5 18.5 12 21c-2.5-2.5-3.75-5.5-3.75-9S9.5 5.5 12 3Z" />
    </svg>
  );
}

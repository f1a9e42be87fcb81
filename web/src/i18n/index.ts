import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import ko from './ko.json';
import {
  detectLanguage,
  FALLBACK_LANGUAGE,
  type Language,
  type LanguageStorage,
  storeLanguage,
  SUPPORTED_LANGUAGES,
} from './language';

export const resources = {
  en: { translation: en },
  ko: { translation: ko },
} as const;

// Touching window.localStorage itself throws a SecurityError when storage is
// blocked, so it is looked up defensively rather than referenced directly.
function browserStorage(): LanguageStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export const i18n = i18next.createInstance();

i18n.on('languageChanged', (language) => {
  document.documentElement.lang = language;
  document.title = i18n.t('app.documentTitle');
});

// Resources are bundled, so initialisation can finish synchronously and the
// first render is already in the right language (no flash of English).
void i18n.use(initReactI18next).init({
  resources,
  lng: detectLanguage({ storage: browserStorage(), preferences: navigator }),
  fallbackLng: FALLBACK_LANGUAGE,
  supportedLngs: SUPPORTED_LANGUAGES,
  initAsync: false,
  interpolation: { escapeValue: false }, // React already escapes rendered text
  showSupportNotice: false, // keeps a promotional console.info out of production
});

/** Switches language for this visit and remembers it as the reader's choice. */
export async function chooseLanguage(language: Language): Promise<void> {
  storeLanguage(browserStorage(), language);
  await i18n.changeLanguage(language);
}

// Language choice, kept free of i18next and browser globals so it can be unit
// tested with plain objects standing in for `navigator` and `localStorage`.

export const SUPPORTED_LANGUAGES = ['ko', 'en'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];

export const FALLBACK_LANGUAGE: Language = 'en';
export const LANGUAGE_STORAGE_KEY = 'lectio.lang';

// Each language is offered under its own name (an endonym), never a
// translated one, so a reader can find their language whatever is shown now.
export const LANGUAGE_ENDONYMS: Record<Language, string> = {
  ko: '한국어',
  en: 'English',
};

export interface LanguagePreferences {
  readonly languages?: readonly string[];
  readonly language?: string;
}

export type LanguageStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function isSupportedLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);
}

/** Maps a BCP 47 tag such as "ko-KR" or "en_US" to a supported language. */
export function matchLanguageTag(tag: string): Language | undefined {
  const primarySubtag = tag.trim().toLowerCase().split(/[-_]/, 1)[0];
  return isSupportedLanguage(primarySubtag) ? primarySubtag : undefined;
}

/**
 * The first supported language in the browser's ranked preferences, so a
 * reader who ranks Korean above English gets Korean, and vice versa.
 */
export function languageFromPreferences(preferences: LanguagePreferences | undefined): Language {
  const ranked = preferences?.languages?.length
    ? preferences.languages
    : preferences?.language
      ? [preferences.language]
      : [];
  for (const tag of ranked) {
    const match = matchLanguageTag(tag);
    if (match) return match;
  }
  return FALLBACK_LANGUAGE;
}

// Storage can throw (disabled cookies, some private modes); losing the saved
// choice is better than failing to start the app.
export function readStoredLanguage(storage: LanguageStorage | undefined): Language | undefined {
  try {
    const stored = storage?.getItem(LANGUAGE_STORAGE_KEY);
    return isSupportedLanguage(stored) ? stored : undefined;
  } catch {
    return undefined;
  }
}

export function storeLanguage(storage: LanguageStorage | undefined, language: Language): void {
  try {
    storage?.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Not persisting is harmless: the browser preference applies next visit.
  }
}

/** An explicit choice made earlier wins over the browser's preferences. */
export function detectLanguage(environment: {
  storage?: LanguageStorage | undefined;
  preferences?: LanguagePreferences | undefined;
}): Language {
  return readStoredLanguage(environment.storage) ?? languageFromPreferences(environment.preferences);
}

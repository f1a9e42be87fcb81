import { describe, expect, it } from 'vitest';
import {
  detectLanguage,
  LANGUAGE_STORAGE_KEY,
  type LanguageStorage,
  languageFromPreferences,
  matchLanguageTag,
  readStoredLanguage,
  storeLanguage,
} from './language';

function memoryStorage(initial: Record<string, string> = {}): LanguageStorage & {
  entries: Map<string, string>;
} {
  const entries = new Map(Object.entries(initial));
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
  };
}

const throwingStorage: LanguageStorage = {
  getItem: () => {
    throw new DOMException('blocked', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('full', 'QuotaExceededError');
  },
};

describe('matchLanguageTag', () => {
  it.each([
    ['ko', 'ko'],
    ['ko-KR', 'ko'],
    ['KO_kr', 'ko'],
    ['en', 'en'],
    ['en-GB', 'en'],
    ['ja-JP', undefined],
    ['', undefined],
  ])('maps %j to %j', (tag, expected) => {
    expect(matchLanguageTag(tag)).toBe(expected);
  });
});

describe('languageFromPreferences', () => {
  it('picks Korean when the browser prefers Korean', () => {
    expect(languageFromPreferences({ languages: ['ko-KR', 'ko', 'en-US'] })).toBe('ko');
    expect(languageFromPreferences({ languages: ['ko'] })).toBe('ko');
  });

  it('picks English when English ranks above Korean', () => {
    expect(languageFromPreferences({ languages: ['en-US', 'ko-KR'] })).toBe('en');
  });

  it('skips unsupported languages to the first supported one', () => {
    expect(languageFromPreferences({ languages: ['ja', 'ko-KR', 'en'] })).toBe('ko');
  });

  it('falls back to English when nothing supported is preferred', () => {
    expect(languageFromPreferences({ languages: ['fr-FR', 'de'] })).toBe('en');
    expect(languageFromPreferences({ languages: [] })).toBe('en');
    expect(languageFromPreferences(undefined)).toBe('en');
  });

  it('uses navigator.language when navigator.languages is empty', () => {
    expect(languageFromPreferences({ languages: [], language: 'ko-KR' })).toBe('ko');
  });
});

describe('detectLanguage', () => {
  it('prefers the stored choice over the browser preference', () => {
    const storage = memoryStorage({ [LANGUAGE_STORAGE_KEY]: 'en' });
    expect(detectLanguage({ storage, preferences: { languages: ['ko-KR'] } })).toBe('en');
  });

  it('ignores a stored value that is not a supported language', () => {
    const storage = memoryStorage({ [LANGUAGE_STORAGE_KEY]: 'klingon' });
    expect(detectLanguage({ storage, preferences: { languages: ['ko-KR'] } })).toBe('ko');
  });

  it('uses the browser preference when storage is unavailable or throws', () => {
    expect(detectLanguage({ preferences: { languages: ['ko'] } })).toBe('ko');
    expect(detectLanguage({ storage: throwingStorage, preferences: { languages: ['ko'] } })).toBe('ko');
  });
});

describe('storeLanguage', () => {
  it('persists the choice under lectio.lang so the next visit reads it back', () => {
    const storage = memoryStorage();
    storeLanguage(storage, 'ko');
    expect(storage.entries.get('lectio.lang')).toBe('ko');
    expect(readStoredLanguage(storage)).toBe('ko');
  });

  it('does not throw when storage refuses writes', () => {
    expect(() => storeLanguage(throwingStorage, 'en')).not.toThrow();
  });
});

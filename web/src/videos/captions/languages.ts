// Caption languages offered in the studio, named through Intl so no catalogue lists them.

/** BCP 47 tags instructors pick from most; the order is the picker's. */
export const CAPTION_LANGUAGES = [
  'ko',
  'en',
  'ja',
  'zh-Hans',
  'zh-Hant',
  'es',
  'fr',
  'de',
  'pt-BR',
  'vi',
  'id',
  'th',
  'ru',
  'ar',
  'hi',
] as const;

/** Largest caption file the API takes (1 MiB). */
export const CAPTION_MAX_BYTES = 1024 * 1024;

function displayName(tag: string, inLanguage: string): string | undefined {
  try {
    return new Intl.DisplayNames([inLanguage], { type: 'language' }).of(tag);
  } catch {
    return undefined;
  }
}

/** How a language calls itself ("한국어", "日本語"): the default label viewers see in the player. */
export function nativeLanguageName(tag: string): string {
  const name = displayName(tag, tag) ?? tag;
  // Intl writes some names in lower case ("español"); as a menu label they start with a capital.
  return name.charAt(0).toLocaleUpperCase(tag) + name.slice(1);
}

/** The picker's text: the reader's name for it, with the native name when it differs. */
export function languageOptionLabel(tag: string, readerLanguage: string): string {
  const reader = displayName(tag, readerLanguage) ?? tag;
  // Compared before capitalising: "español" read in Spanish needs no second name.
  const native = nativeLanguageName(tag);
  return reader === native ? reader : `${reader} (${native})`;
}

/** Which format a file looks like by its name, or null when it is neither WebVTT nor SRT. */
export function captionFormatOf(fileName: string): 'vtt' | 'srt' | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.vtt')) return 'vtt';
  if (lower.endsWith('.srt')) return 'srt';
  return null;
}

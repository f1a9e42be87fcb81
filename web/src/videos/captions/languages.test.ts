import { describe, expect, it } from 'vitest';
import { CAPTION_LANGUAGES, captionFormatOf, languageOptionLabel, nativeLanguageName } from './languages';

describe('caption languages', () => {
  it('labels each language by its own name, capitalised', () => {
    expect(nativeLanguageName('ko')).toBe('한국어');
    expect(nativeLanguageName('ja')).toBe('日本語');
    expect(nativeLanguageName('es')).toBe('Español');
    expect(nativeLanguageName('en')).toBe('English');
  });

  it('names the picker’s options in the reader’s language, with the native name beside it', () => {
    expect(languageOptionLabel('ja', 'en')).toBe('Japanese (日本語)');
    expect(languageOptionLabel('en', 'ko')).toBe('영어 (English)');
    expect(languageOptionLabel('ko', 'ko')).toBe('한국어');
    expect(languageOptionLabel('en', 'en')).toBe('English');
  });

  it('offers Korean, English, Japanese, Chinese and Spanish first, each once', () => {
    expect(CAPTION_LANGUAGES.slice(0, 4)).toEqual(['ko', 'en', 'ja', 'zh-Hans']);
    expect(new Set(CAPTION_LANGUAGES).size).toBe(CAPTION_LANGUAGES.length);
  });

  it('tells WebVTT and SRT files apart by name', () => {
    expect(captionFormatOf('Lecture.KO.VTT')).toBe('vtt');
    expect(captionFormatOf('lecture.en.srt')).toBe('srt');
    expect(captionFormatOf('notes.txt')).toBeNull();
  });
});

import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import ko from '../i18n/ko.json';
import { formatMbps, formatResolution, isChanging, parsePage, parseStatusFilter, statusLabel } from './library';

async function translator(language: 'en' | 'ko') {
  const instance = i18next.createInstance();
  await instance.init({
    lng: language,
    resources: { en: { translation: en }, ko: { translation: ko } },
    showSupportNotice: false,
  });
  return instance.t;
}

describe('video library helpers', () => {
  it('reads the status filter and page from the URL, falling back to all videos and page 1', () => {
    expect(parseStatusFilter('processing')).toBe('processing');
    expect(parseStatusFilter('aborted')).toBe('');
    expect(parseStatusFilter('READY')).toBe('');
    expect(parseStatusFilter(null)).toBe('');
    expect(parsePage('3')).toBe(3);
    expect(parsePage('0')).toBe(1);
    expect(parsePage('2.5')).toBe(1);
    expect(parsePage('x')).toBe(1);
    expect(parsePage(null)).toBe(1);
  });

  it('polls only videos the server is still working on', () => {
    expect(isChanging({ status: 'uploaded' })).toBe(true);
    expect(isChanging({ status: 'processing' })).toBe(true);
    for (const status of ['uploading', 'ready', 'failed', 'aborted'] as const)
      expect(isChanging({ status })).toBe(false);
    expect(isChanging(undefined)).toBe(false);
  });

  it('labels each state in both languages, with the whole percent while processing', async () => {
    const enT = await translator('en');
    const koT = await translator('ko');
    expect(statusLabel(enT, { status: 'processing', progressPercent: 42.7 })).toBe('Processing 42%');
    expect(statusLabel(koT, { status: 'processing', progressPercent: 42.7 })).toBe('변환 중 42%');
    expect(statusLabel(enT, { status: 'ready', progressPercent: 100 })).toBe('Ready');
    expect(statusLabel(koT, { status: 'failed', progressPercent: 0 })).toBe('실패');
    expect(statusLabel(enT, { status: 'aborted', progressPercent: 0 })).toBe('Upload cancelled');
  });

  it('writes renditions as pixels and megabits per second', () => {
    expect(formatResolution(1280, 720)).toBe('1280×720');
    expect(formatResolution(null, 720)).toBeNull();
    expect(formatMbps(2_540_000, 'en')).toBe('2.5 Mb/s');
    expect(formatMbps(800_000, 'ko')).toMatch(/^0\.8\s?Mb\/s$/);
  });
});

import { describe, expect, it } from 'vitest';
import { slugify, withRandomSuffix } from './slug.js';

describe('slugify', () => {
  it('keeps Hangul and lower-cases Latin, one hyphen between words', () => {
    expect(slugify('입문자를 위한 파이썬')).toBe('입문자를-위한-파이썬');
    expect(slugify('JavaScript 완벽 가이드!')).toBe('javascript-완벽-가이드');
    expect(slugify('  데이터분석 — 실전 (2024)  ')).toBe('데이터분석-실전-2024');
  });

  it('drops accents and symbols, and never returns an empty slug', () => {
    expect(slugify('Café & Crème Brûlée')).toBe('cafe-creme-brulee');
    expect(slugify('!!!')).toBe('course');
    expect(slugify('🎉')).toBe('course');
  });

  it('stays short and does not end in a hyphen', () => {
    const slug = slugify(`${'a'.repeat(59)} b`);
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('adds a short random suffix on collision', () => {
    const a = withRandomSuffix('입문자를-위한-파이썬');
    expect(a).toMatch(/^입문자를-위한-파이썬-[a-z0-9]{6}$/);
    expect(withRandomSuffix('x')).not.toBe(withRandomSuffix('x'));
  });
});

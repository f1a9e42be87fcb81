import { describe, expect, it } from 'vitest';
import {
  analyzeQuery,
  bigramsOfRun,
  documentBigrams,
  fold,
  koreanTsQuery,
  latinPrefixTsQuery,
  stripParticle,
  withoutHangul,
} from './analyzer.js';

describe('Korean bigrams', () => {
  it('cuts a Hangul run into overlapping 2-grams and keeps a single syllable whole', () => {
    expect(bigramsOfRun('데이터분석')).toEqual(['데이', '이터', '터분', '분석']);
    expect(bigramsOfRun('책')).toEqual(['책']);
    expect(bigramsOfRun('')).toEqual([]);
  });

  it('indexes only the Korean of a mixed text, run by run, in order', () => {
    expect(documentBigrams('입문자를 위한 Python 파이썬')).toBe('입문 문자 자를 위한 파이 이썬');
    expect(documentBigrams('JavaScript 완벽 가이드')).toBe('완벽 가이 이드');
    expect(documentBigrams('English only')).toBe('');
  });

  it('normalises decomposed Hangul (NFD from some keyboards and files) before cutting', () => {
    expect(documentBigrams('파이썬'.normalize('NFD'))).toBe('파이 이썬');
  });
});

describe('particles', () => {
  it('strips one trailing particle when two syllables remain', () => {
    expect(stripParticle('파이썬을')).toBe('파이썬');
    expect(stripParticle('서울에서')).toBe('서울');
    expect(stripParticle('데이터로')).toBe('데이터');
    expect(stripParticle('한국어와')).toBe('한국어');
    expect(stripParticle('처음부터')).toBe('처음');
  });

  it('leaves words whose last syllable only looks like a particle when too little would remain', () => {
    expect(stripParticle('사과')).toBe('사과');
    expect(stripParticle('속도')).toBe('속도');
    expect(stripParticle('데이터')).toBe('데이터');
  });

  it('a query word with a particle still yields the phrase of its stem', () => {
    const q = analyzeQuery('파이썬을');
    expect(q.korean).toEqual([{ bigrams: ['파이', '이썬'], prefix: false }]);
    expect(koreanTsQuery(q.korean)).toBe('(파이 <-> 이썬)');
  });

  it('drops a particle glued to a Latin word instead of searching for it', () => {
    const q = analyzeQuery('React를 배우기');
    expect(q.latin).toBe('React');
    expect(q.korean).toEqual([{ bigrams: ['배우', '우기'], prefix: false }]);
  });
});

describe('the English vector', () => {
  const latin = (text: string) => withoutHangul(text).replace(/\s+/gu, ' ').trim();

  it('gets the Latin words only, with the particles glued to them split off', () => {
    expect(latin('React로 만드는 앱, Python을 배우는 AWS에서')).toBe('React , Python AWS');
  });

  it('blanks decomposed Hangul (NFD) too', () => {
    expect(latin('Docker와 쿠버네티스'.normalize('NFD'))).toBe('Docker');
  });
});

describe('query analysis', () => {
  it('splits Korean phrases from Latin words and folds the whole query', () => {
    const q = analyzeQuery('입문 JavaScript 데이터');
    expect(koreanTsQuery(q.korean)).toBe('입문 & (데이 <-> 이터)');
    expect(koreanTsQuery(q.korean, { phrase: false })).toBe('입문 & (데이 & 이터)');
    expect(q.latin).toBe('JavaScript');
    expect(q.folded).toBe('입문 javascript 데이터');
  });

  it('searches a single syllable as a prefix', () => {
    expect(koreanTsQuery(analyzeQuery('책').korean)).toBe('책:*');
  });

  it('never lets punctuation through to tsquery syntax', () => {
    expect(analyzeQuery("c++ & !(x) '").latin).toBe('c x');
    expect(analyzeQuery('!!!').latin).toBe('');
    expect(koreanTsQuery(analyzeQuery('!!!').korean)).toBeNull();
  });

  it('restricts autocomplete to titles and completes the last word', () => {
    expect(koreanTsQuery(analyzeQuery('데이터 분').korean, { weight: 'A' })).toBe('(데이:A <-> 이터:A) & 분:*A');
    expect(latinPrefixTsQuery('java scr')).toBe('java:A & scr:*A');
    expect(latinPrefixTsQuery('')).toBeNull();
  });

  it('folds full-width letters and case (NFKC) like title_folded', () => {
    expect(fold('ＪａｖａＳｃｒｉｐｔ  완벽')).toBe('javascript 완벽');
  });
});

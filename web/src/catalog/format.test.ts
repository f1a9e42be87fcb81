import { describe, expect, it } from 'vitest';
import { formatDuration, formatPrice, formatRating, fromMajorUnits, toMajorUnits } from './format';

// Intl output uses narrow no-break spaces in places; compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('prices', () => {
  it('writes KRW without decimals in both languages', () => {
    expect(formatPrice({ amount: 29000, currency: 'KRW' }, 'ko')).toBe('₩29,000');
    expect(formatPrice({ amount: 29000, currency: 'KRW' }, 'en')).toBe('₩29,000');
  });

  it('writes USD from cents, with the locale’s symbol', () => {
    expect(formatPrice({ amount: 1999, currency: 'USD' }, 'en')).toBe('$19.99');
    expect(formatPrice({ amount: 1999, currency: 'USD' }, 'ko')).toBe('US$19.99');
    expect(formatPrice({ amount: 2000, currency: 'USD' }, 'en')).toBe('$20');
    expect(formatPrice({ amount: 2050, currency: 'USD' }, 'en')).toBe('$20.50');
  });

  it('converts between typed major units and API minor units', () => {
    expect(fromMajorUnits('19.99', 'USD')).toBe(1999);
    expect(fromMajorUnits('20', 'USD')).toBe(2000);
    expect(fromMajorUnits('29,000', 'KRW')).toBe(29000);
    expect(fromMajorUnits('29000.5', 'KRW')).toBeUndefined();
    expect(fromMajorUnits('1.999', 'USD')).toBeUndefined();
    expect(fromMajorUnits('-1', 'USD')).toBeUndefined();
    expect(toMajorUnits(1999, 'USD')).toBe(19.99);
    expect(toMajorUnits(29000, 'KRW')).toBe(29000);
  });
});

describe('ratings and durations', () => {
  it('shows one decimal', () => {
    expect(formatRating(4, 'en')).toBe('4.0');
    expect(formatRating(4.46, 'ko')).toBe('4.5');
  });

  it('shows hours and minutes', () => {
    expect(plain(formatDuration(3900, 'en'))).toBe('1 hr 5 min');
    expect(plain(formatDuration(3900, 'ko'))).toBe('1시간 5분');
    expect(plain(formatDuration(20, 'en'))).toBe('1 min');
    expect(plain(formatDuration(7200, 'en'))).toBe('2 hr');
  });
});

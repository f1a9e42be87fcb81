import { describe, expect, it } from 'vitest';
import { couponCurrencyOf, courseOptionsOf } from './couponForm';

const course = (id: string, title: string, price: { amount: number; currency: 'KRW' | 'USD' } | null) => ({
  id,
  title,
  price,
});

describe('the courses a coupon may be tied to', () => {
  it('offers paid courses only, each with its currency, sorted by title, once each', () => {
    const studio = [course('c-2', 'React', { amount: 2999, currency: 'USD' }), course('c-3', 'Free', null)];
    const found = [
      course('c-1', '데이터분석', { amount: 49000, currency: 'KRW' }),
      course('c-2', 'React', { amount: 2999, currency: 'USD' }),
      course('c-4', 'Zero', { amount: 0, currency: 'KRW' }),
    ];
    expect(courseOptionsOf([studio, found])).toEqual([
      { id: 'c-2', title: 'React', currency: 'USD' },
      { id: 'c-1', title: '데이터분석', currency: 'KRW' },
    ]);
  });

  it('keeps the chosen course when a new search no longer finds it', () => {
    const kept = { id: 'c-9', title: 'Kept', currency: 'KRW' as const };
    expect(courseOptionsOf([[course('c-1', 'Other', { amount: 100, currency: 'USD' })]], kept)).toEqual([
      kept,
      { id: 'c-1', title: 'Other', currency: 'USD' },
    ]);
  });
});

describe('the currency of a fixed coupon', () => {
  const usdCourse = { id: 'c-1', title: 'React', currency: 'USD' as const };

  it('is the course’s own for a course’s coupon, and the chosen one for a site-wide coupon', () => {
    expect(couponCurrencyOf('fixed', usdCourse, 'KRW')).toEqual({ currency: 'USD', locked: true });
    expect(couponCurrencyOf('fixed', undefined, 'KRW')).toEqual({ currency: 'KRW', locked: false });
  });

  it('does not apply to a percentage', () => {
    expect(couponCurrencyOf('percent', usdCourse, 'KRW')).toBeUndefined();
  });
});

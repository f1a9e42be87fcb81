import { describe, expect, it } from 'vitest';
import type { AppError } from '../app-error.js';
import { revenueRange, revenueTotals } from './revenue-service.js';

const now = new Date('2026-03-15T12:00:00Z');

describe('revenue range', () => {
  it('defaults to the twelve months up to the current one, in UTC', () => {
    expect(revenueRange({}, now)).toEqual({
      from: '2025-04',
      to: '2026-03',
      start: new Date('2025-04-01T00:00:00Z'),
      until: new Date('2026-04-01T00:00:00Z'),
    });
  });

  it('takes months across a year end, and a single month', () => {
    expect(revenueRange({ from: '2025-11', to: '2026-02' }, now)).toMatchObject({
      start: new Date('2025-11-01T00:00:00Z'),
      until: new Date('2026-03-01T00:00:00Z'),
    });
    expect(revenueRange({ from: '2025-12', to: '2025-12' }, now).until).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it('refuses a reversed range and more than 36 months', () => {
    const reason = (q: { from?: string; to?: string }) => {
      try {
        revenueRange(q, now);
        return undefined;
      } catch (error) {
        return (error as AppError).details?.reason;
      }
    };
    expect(reason({ from: '2026-02', to: '2026-01' })).toBe('from_after_to');
    expect(reason({ from: '2023-01', to: '2025-12' })).toBeUndefined();
    expect(reason({ from: '2023-01', to: '2026-01' })).toBe('too_long');
  });
});

describe('revenue totals', () => {
  it('adds up per currency, never across currencies', () => {
    const line = { courseId: 'c', courseTitle: 'C', month: '2026-01' };
    expect(
      revenueTotals([
        { ...line, currency: 'USD', orders: 2, gross: 3000, refunded: 1500 },
        { ...line, currency: 'KRW', orders: 3, gross: 90_000, refunded: 30_000 },
        { ...line, month: '2026-02', currency: 'KRW', orders: 1, gross: 30_000, refunded: 0 },
      ]),
    ).toEqual([
      { currency: 'KRW', orders: 4, gross: 120_000, refunded: 30_000, net: 90_000 },
      { currency: 'USD', orders: 2, gross: 3000, refunded: 1500, net: 1500 },
    ]);
  });
});

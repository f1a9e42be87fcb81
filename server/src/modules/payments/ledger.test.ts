import { describe, expect, it } from 'vitest';
import { paidMismatch } from './ledger.js';
import type { OrderRow } from './repository.js';

const order = {
  amount: 39_000,
  currency: 'KRW',
  checkoutSessionId: 'cs_test_mine',
} as Pick<OrderRow, 'amount' | 'currency' | 'checkoutSessionId'> as OrderRow;

describe('a paid event is checked against its order', () => {
  it('pays on what the order costs, on its own session, whatever the currency’s case', () => {
    expect(paidMismatch(order, { to: 'paid', amount: 39_000, currency: 'krw', sessionId: 'cs_test_mine' })).toBe(
      undefined,
    );
    // A decision with nothing to compare (a 100 % coupon, a reconciliation) is not refused.
    expect(paidMismatch(order, { to: 'paid' })).toBe(undefined);
    // An order whose session was never recorded cannot be compared by session.
    expect(paidMismatch({ ...order, checkoutSessionId: null }, { to: 'paid', sessionId: 'cs_other' })).toBe(undefined);
  });

  it('refuses another session, another amount (a no-payment completion says 0) or another currency', () => {
    expect(paidMismatch(order, { to: 'paid', sessionId: 'cs_test_other', amount: 39_000 })).toBe('session_mismatch');
    expect(paidMismatch(order, { to: 'paid', amount: 1, currency: 'KRW' })).toBe('amount_mismatch');
    expect(paidMismatch(order, { to: 'paid', amount: 0, currency: 'KRW' })).toBe('amount_mismatch');
    expect(paidMismatch(order, { to: 'paid', amount: 39_000, currency: 'usd' })).toBe('amount_mismatch');
  });
});

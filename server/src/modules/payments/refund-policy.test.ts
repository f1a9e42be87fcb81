import { describe, expect, it } from 'vitest';
import { decideRefund, watchedPercentOf, type RefundPolicyFacts } from './refund-policy.js';

const DAY = 24 * 60 * 60 * 1000;
const config = { windowDays: 7, maxWatchedPercent: 30 };
const paidAt = new Date('2026-03-01T10:00:00Z');
const paid: RefundPolicyFacts = {
  status: 'paid',
  paidAt,
  refundRequestedAt: null,
  hasOpenRequest: false,
  watchedSeconds: 0,
  totalSeconds: 1000,
};
const at = (ms: number) => new Date(paidAt.getTime() + ms);

describe('refund policy', () => {
  it('lets a student who paid recently and watched little ask, and says until when', () => {
    const decision = decideRefund({ ...paid, watchedSeconds: 120 }, config, at(2 * DAY + 5000));
    expect(decision).toEqual({
      eligible: true,
      reason: null,
      watchedPercent: 12,
      windowEndsAt: new Date('2026-03-08T10:00:00Z'),
      daysSincePaid: 2,
    });
  });

  it('closes the window exactly windowDays after payment', () => {
    expect(decideRefund(paid, config, at(7 * DAY)).eligible).toBe(true);
    const late = decideRefund(paid, config, at(7 * DAY + 1));
    expect(late).toMatchObject({ eligible: false, reason: 'window_passed', daysSincePaid: 7 });
  });

  it('refuses at the watched limit, and decides on the same whole percent it shows', () => {
    expect(decideRefund({ ...paid, watchedSeconds: 299.9 }, config, at(DAY))).toMatchObject({
      eligible: true,
      watchedPercent: 29,
    });
    expect(decideRefund({ ...paid, watchedSeconds: 300 }, config, at(DAY))).toMatchObject({
      eligible: false,
      reason: 'watched_too_much',
      watchedPercent: 30,
    });
  });

  it('refuses orders that are not paid (pending, failed, refunded), whatever else holds', () => {
    for (const status of ['pending', 'failed', 'expired', 'refunded'] as const) {
      expect(decideRefund({ ...paid, status, hasOpenRequest: true }, config, at(DAY))).toMatchObject({
        eligible: false,
        reason: 'not_paid',
        windowEndsAt: null,
      });
    }
  });

  it('refuses a second request while one is open or a refund is already under way', () => {
    expect(decideRefund({ ...paid, hasOpenRequest: true }, config, at(DAY)).reason).toBe('request_open');
    expect(decideRefund({ ...paid, refundRequestedAt: at(DAY) }, config, at(DAY)).reason).toBe('request_open');
    // An open request outranks the window: the student is told it is being looked at.
    expect(decideRefund({ ...paid, hasOpenRequest: true }, config, at(30 * DAY)).reason).toBe('request_open');
  });

  it('counts a course without video as nothing watched, and never more than 100 %', () => {
    expect(watchedPercentOf(50, 0)).toBe(0);
    expect(watchedPercentOf(0, 100)).toBe(0);
    expect(watchedPercentOf(150, 100)).toBe(100);
    expect(decideRefund({ ...paid, watchedSeconds: 10, totalSeconds: 0 }, config, at(DAY)).eligible).toBe(true);
  });

  it('follows the configured window and limit', () => {
    const strict = { windowDays: 1, maxWatchedPercent: 10 };
    expect(decideRefund({ ...paid, watchedSeconds: 100 }, strict, at(DAY / 2)).reason).toBe('watched_too_much');
    expect(decideRefund(paid, strict, at(2 * DAY)).reason).toBe('window_passed');
  });
});

import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, planTransition, STATUS_RANK, type OrderStatus } from './state-machine.js';

type Effects = { to: OrderStatus; enroll?: true; revoke?: true; releaseCoupon?: true; retakeCoupon?: true };

/** Every state × every event, written out: what a reader checks the rules against. */
const TABLE: Record<OrderStatus, Record<OrderStatus, Effects>> = {
  pending: {
    pending: { to: 'pending' },
    paid: { to: 'paid', enroll: true },
    failed: { to: 'failed', releaseCoupon: true },
    expired: { to: 'expired', releaseCoupon: true },
    refunded: { to: 'refunded' },
  },
  failed: {
    pending: { to: 'failed' },
    paid: { to: 'paid', enroll: true, retakeCoupon: true },
    failed: { to: 'failed' },
    expired: { to: 'failed' },
    refunded: { to: 'refunded' },
  },
  expired: {
    pending: { to: 'expired' },
    paid: { to: 'paid', enroll: true, retakeCoupon: true },
    failed: { to: 'expired' },
    expired: { to: 'expired' },
    refunded: { to: 'refunded' },
  },
  paid: {
    pending: { to: 'paid' },
    paid: { to: 'paid' },
    failed: { to: 'paid' },
    expired: { to: 'paid' },
    refunded: { to: 'refunded', revoke: true },
  },
  refunded: {
    pending: { to: 'refunded' },
    paid: { to: 'refunded' },
    failed: { to: 'refunded' },
    expired: { to: 'refunded' },
    refunded: { to: 'refunded' },
  },
};

describe('order state machine', () => {
  for (const from of ORDER_STATUSES) {
    for (const target of ORDER_STATUSES) {
      const want = TABLE[from][target];
      it(`${from} + ${target} → ${want.to}${['enroll', 'revoke', 'releaseCoupon', 'retakeCoupon']
        .filter((k) => want[k as keyof Effects])
        .map((k) => ` (${k})`)
        .join('')}`, () => {
        expect(planTransition(from, target)).toEqual({
          from,
          to: want.to,
          moved: want.to !== from,
          enroll: want.enroll ?? false,
          revoke: want.revoke ?? false,
          releaseCoupon: want.releaseCoupon ?? false,
          retakeCoupon: want.retakeCoupon ?? false,
        });
      });
    }
  }

  it('ends in the ranked maximum whatever the order and duplicates of the events, each effect at most once', () => {
    // A seeded generator: a failure names its seed and can be replayed.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 5_000; round += 1) {
      const startSeed = seed;
      // A scenario's distinct events, then duplicates of them, shuffled.
      const distinct = ORDER_STATUSES.filter(() => random() < 0.5);
      const events = [...distinct];
      for (let d = Math.floor(random() * 6); d > 0 && distinct.length; d -= 1) {
        events.push(distinct[Math.floor(random() * distinct.length)]!);
      }
      for (let i = events.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [events[i], events[j]] = [events[j]!, events[i]!];
      }

      let state: OrderStatus = 'pending';
      let enrolled = false;
      let enrolls = 0;
      let revokes = 0;
      let couponHeld = 1;
      for (const event of events) {
        const plan = planTransition(state, event);
        if (plan.enroll) {
          expect(enrolled, `seed ${startSeed}: enrolled twice`).toBe(false);
          enrolled = true;
          enrolls += 1;
        }
        if (plan.revoke) {
          expect(enrolled, `seed ${startSeed}: revoked without an enrollment`).toBe(true);
          enrolled = false;
          revokes += 1;
        }
        if (plan.releaseCoupon) couponHeld -= 1;
        if (plan.retakeCoupon) couponHeld += 1;
        expect(couponHeld === 0 || couponHeld === 1, `seed ${startSeed}: coupon count ${couponHeld}`).toBe(true);
        state = plan.to;
      }

      const maxRank = Math.max(0, ...events.map((e) => STATUS_RANK[e]));
      // Among equals (failed, expired) the first to arrive stays.
      const expected = maxRank === 0 ? 'pending' : events.find((e) => STATUS_RANK[e] === maxRank)!;
      expect(state, `seed ${startSeed}: ${events.join(',')}`).toBe(expected);
      expect(enrolled, `seed ${startSeed}: enrolled at the end iff paid`).toBe(state === 'paid');
      expect(enrolls).toBeLessThanOrEqual(1);
      expect(revokes).toBeLessThanOrEqual(1);
      // A refund seen before the payment means no enrollment ever.
      if (events.indexOf('refunded') !== -1 && events.indexOf('refunded') < events.indexOf('paid')) {
        expect(enrolls, `seed ${startSeed}`).toBe(0);
      }
    }
  });
});

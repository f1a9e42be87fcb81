/**
 * The order's life as a ranked state machine. Gateways deliver events late, twice and out of
 * order, so "the last event wins" would let a stale `expired` undo a payment. Instead every state
 * has a rank and an event only ever moves an order up: events applied in any order end in the
 * same state, and each side effect (enrolling, revoking, releasing a coupon use) happens at most
 * once, on the one transition that crosses it.
 */

export const ORDER_STATUSES = ['pending', 'paid', 'failed', 'expired', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * failed and expired share a rank: both mean "no money came", and whichever arrived first stays
 * (a session that expired after a declined payment is still a declined payment).
 * paid outranks them: a late payment after an expiry still took the student's money.
 * refunded is terminal: a refund seen before its payment means access is never granted.
 */
export const STATUS_RANK: Record<OrderStatus, number> = { pending: 0, failed: 1, expired: 1, paid: 2, refunded: 3 };

export interface TransitionPlan {
  from: OrderStatus;
  /** The state after the event: `from` when nothing moves. */
  to: OrderStatus;
  moved: boolean;
  /** Entering paid: the student gets the course, in the same transaction. */
  enroll: boolean;
  /** paid → refunded: the enrollment the payment granted ends. */
  revoke: boolean;
  /** pending → failed | expired: the coupon use reserved at creation goes back. */
  releaseCoupon: boolean;
  /** failed | expired → paid: the use released earlier is counted again, since the coupon was used after all. */
  retakeCoupon: boolean;
}

/** What an event asking for `target` does to an order in `from`. Pure; the ledger runs the effects. */
export function planTransition(from: OrderStatus, target: OrderStatus): TransitionPlan {
  const moved = STATUS_RANK[target] > STATUS_RANK[from];
  const to = moved ? target : from;
  return {
    from,
    to,
    moved,
    enroll: moved && to === 'paid',
    revoke: moved && from === 'paid' && to === 'refunded',
    releaseCoupon: moved && from === 'pending' && (to === 'failed' || to === 'expired'),
    retakeCoupon: moved && to === 'paid' && (from === 'failed' || from === 'expired'),
  };
}

/** How a transition is recorded in payment_events.outcome: `pending->paid`, or `kept:paid` when nothing moved. */
export function describePlan(plan: TransitionPlan): string {
  return plan.moved ? `${plan.from}->${plan.to}` : `kept:${plan.from}`;
}

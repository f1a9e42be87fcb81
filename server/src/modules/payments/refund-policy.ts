/** Why a student may not ask for a refund (null: they may). */
export type RefundRefusal = 'not_paid' | 'window_passed' | 'watched_too_much' | 'request_open';

export interface RefundPolicyConfig {
  /** Days after payment during which a student may ask. */
  windowDays: number;
  /** A student who has watched this share (percent) of the course's videos or more may not ask. */
  maxWatchedPercent: number;
}

/** What the policy needs to know about the order and the student's viewing. */
export interface RefundPolicyFacts {
  status: 'pending' | 'paid' | 'failed' | 'expired' | 'refunded';
  paidAt: Date | null;
  /** A refund already asked of the gateway (an admin's direct refund in flight). */
  refundRequestedAt: Date | null;
  /** A student's request waiting for an admin. */
  hasOpenRequest: boolean;
  /** Seconds of the course's video lessons watched (each lesson counted at most to its length). */
  watchedSeconds: number;
  /** Total length of the course's video lessons, in seconds. */
  totalSeconds: number;
}

export interface RefundDecision {
  eligible: boolean;
  reason: RefundRefusal | null;
  /** Whole percent, rounded down: the same number decides and is shown, so 29.9 % shows 29 and passes. */
  watchedPercent: number;
  /** The last moment a request is accepted; null for an order that was never paid. */
  windowEndsAt: Date | null;
  /** Whole days since payment; 0 for an order that was never paid. */
  daysSincePaid: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The watched share of a course, in whole percent (0 for a course without video). */
export function watchedPercentOf(watchedSeconds: number, totalSeconds: number): number {
  if (!(totalSeconds > 0) || !(watchedSeconds > 0)) return 0;
  return Math.min(100, Math.floor((watchedSeconds / totalSeconds) * 100));
}

/**
 * Whether a student may ask for a refund of an order now. Reasons are checked in the order a
 * student can act on: an unpaid order cannot be refunded at all; an open request is already
 * being looked at; then the window and the watched share.
 */
export function decideRefund(facts: RefundPolicyFacts, config: RefundPolicyConfig, now: Date): RefundDecision {
  const watchedPercent = watchedPercentOf(facts.watchedSeconds, facts.totalSeconds);
  if (facts.status !== 'paid' || !facts.paidAt) {
    return { eligible: false, reason: 'not_paid', watchedPercent, windowEndsAt: null, daysSincePaid: 0 };
  }
  const windowEndsAt = new Date(facts.paidAt.getTime() + config.windowDays * DAY_MS);
  const daysSincePaid = Math.max(0, Math.floor((now.getTime() - facts.paidAt.getTime()) / DAY_MS));
  const refuse = (reason: RefundRefusal): RefundDecision => ({
    eligible: false,
    reason,
    watchedPercent,
    windowEndsAt,
    daysSincePaid,
  });
  if (facts.hasOpenRequest || facts.refundRequestedAt) return refuse('request_open');
  if (now.getTime() > windowEndsAt.getTime()) return refuse('window_passed');
  if (watchedPercent >= config.maxWatchedPercent) return refuse('watched_too_much');
  return { eligible: true, reason: null, watchedPercent, windowEndsAt, daysSincePaid };
}

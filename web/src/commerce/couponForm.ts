// Pure parts of the studio's new-coupon form: which courses it offers and in which currency a
// fixed amount is taken off.
import type { CouponKind, Currency } from './types';

/** A course a coupon may be tied to, with the currency of its price. */
export interface CourseOption {
  id: string;
  title: string;
  currency: Currency;
}

/** What the studio and the catalogue say about a course: only a paid one can take a coupon. */
interface PricedCourse {
  id: string;
  title: string;
  price: { amount: number; currency: Currency } | null;
}

/**
 * The courses to offer, sorted by title: every paid course in `sources` (the instructor's own,
 * then what the admin's search found), plus `kept` (the one already chosen, so a new search does
 * not silently change the choice).
 */
export function courseOptionsOf(sources: readonly (readonly PricedCourse[])[], kept?: CourseOption): CourseOption[] {
  const options = new Map<string, CourseOption>();
  if (kept) options.set(kept.id, kept);
  for (const courses of sources) {
    for (const course of courses) {
      if (!course.price || course.price.amount <= 0 || options.has(course.id)) continue;
      options.set(course.id, { id: course.id, title: course.title, currency: course.price.currency });
    }
  }
  return [...options.values()].sort((a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
}

/**
 * The currency of a fixed coupon's amount: a course's coupon can only be in the course's currency
 * (the server refuses any other), so it is set by the course; a site-wide one is the admin's choice.
 * Undefined for a percentage, which applies in any currency.
 */
export function couponCurrencyOf(
  kind: CouponKind,
  course: CourseOption | undefined,
  chosen: Currency,
): { currency: Currency; locked: boolean } | undefined {
  if (kind !== 'fixed') return undefined;
  return course ? { currency: course.currency, locked: true } : { currency: chosen, locked: false };
}

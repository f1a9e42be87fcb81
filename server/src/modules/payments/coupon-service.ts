import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { Page } from '../catalog/service.js';
import type { CouponRepository, CouponRow, ListedCoupon } from './coupon-repository.js';
import { normalizeCouponCode } from './pricing.js';

type Currency = 'KRW' | 'USD';

export interface CouponView {
  id: string;
  code: string;
  kind: 'percent' | 'fixed';
  percentOff: number | null;
  amountOff: number | null;
  currency: Currency | null;
  course: { id: string; title: string } | null;
  expiresAt: string | null;
  maxUses: number | null;
  usedCount: number;
  active: boolean;
  createdAt: string;
}

export interface CouponInput {
  code: string;
  kind: 'percent' | 'fixed';
  percentOff?: number | null;
  amountOff?: number | null;
  currency?: Currency | null;
  /** Null: site-wide (admins only). */
  courseId: string | null;
  /** ISO date-time; null or absent: never expires. */
  expiresAt?: string | null;
  /** Null or absent: unlimited. */
  maxUses?: number | null;
}

export interface CouponPatch {
  active?: boolean;
  expiresAt?: string | null;
  maxUses?: number | null;
}

export function toCouponView({ coupon, course }: ListedCoupon): CouponView {
  return {
    id: coupon.id,
    code: coupon.code,
    kind: coupon.kind,
    percentOff: coupon.percentOff,
    amountOff: coupon.amountOff,
    currency: coupon.currency,
    course,
    expiresAt: coupon.expiresAt?.toISOString() ?? null,
    maxUses: coupon.maxUses,
    usedCount: coupon.usedCount,
    active: coupon.active,
    createdAt: coupon.createdAt.toISOString(),
  };
}

const invalid = (reason: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError(422, 'coupon_input_invalid', message, { reason, ...details });
const forbidden = (message: string) => new AppError(403, 'forbidden', message);
const notFound = () => new AppError(404, 'coupon_not_found', 'No such coupon.');

/**
 * The discount fields of a coupon, checked as a whole: a percent coupon takes 1–100 % off any
 * price; a fixed one takes an amount off a price in its currency. The database checks the same,
 * this says which field is wrong.
 */
export function couponDiscountOf(
  input: Pick<CouponInput, 'kind' | 'percentOff' | 'amountOff' | 'currency'>,
): Pick<CouponRow, 'kind' | 'percentOff' | 'amountOff' | 'currency'> {
  if (input.kind === 'percent') {
    const p = input.percentOff;
    if (p === undefined || p === null || !Number.isInteger(p) || p < 1 || p > 100) {
      throw invalid('percent_off_invalid', 'A percent coupon takes a whole 1–100 % off.');
    }
    if (input.amountOff !== undefined && input.amountOff !== null) {
      throw invalid('amount_off_not_allowed', 'A percent coupon has no amount off.');
    }
    // A percentage applies in any currency; one sent along by a form means nothing here.
    return { kind: 'percent', percentOff: p, amountOff: null, currency: null };
  }
  const a = input.amountOff;
  if (a === undefined || a === null || !Number.isInteger(a) || a <= 0) {
    throw invalid('amount_off_invalid', 'A fixed coupon takes a positive amount (in minor units) off.');
  }
  if (!input.currency) throw invalid('currency_required', 'A fixed coupon needs the currency of its amount.');
  if (input.percentOff !== undefined && input.percentOff !== null) {
    throw invalid('percent_off_not_allowed', 'A fixed coupon has no percent off.');
  }
  return { kind: 'fixed', percentOff: null, amountOff: a, currency: input.currency };
}

/**
 * Coupons in the studio: an instructor makes and manages coupons for their own courses, an admin
 * for any course and site-wide. Using one (price, reservation) is the orders module's (pricing.ts).
 */
export class CouponService {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(actor: Actor, input: CouponInput): Promise<CouponView> {
    const discount = couponDiscountOf(input);
    let course: { id: string; title: string } | null = null;
    if (input.courseId === null) {
      if (actor.role !== 'admin') throw forbidden('Only admins may create site-wide coupons.');
    } else {
      const owned = await this.coupons.course(input.courseId);
      if (!owned) throw new AppError(404, 'course_not_found', 'No such course.');
      if (!can(actor, 'coupon.manage', { ownerId: owned.instructorId })) {
        throw forbidden('You may only create coupons for your own courses.');
      }
      // An amount in another currency than the course's price could never apply.
      if (discount.currency && discount.currency !== owned.currency) {
        throw invalid('currency_mismatch', `This course is priced in ${owned.currency}.`, {
          courseCurrency: owned.currency,
        });
      }
      course = { id: owned.id, title: owned.title };
    }
    const expiresAt = this.expiryOf(input.expiresAt);
    const row = await this.coupons.insert({
      code: normalizeCouponCode(input.code),
      ...discount,
      courseId: input.courseId,
      expiresAt: expiresAt ?? null,
      maxUses: input.maxUses ?? null,
      createdBy: actor.userId,
    });
    if (!row) throw new AppError(409, 'coupon_code_taken', 'Another coupon already has this code.');
    return toCouponView({ coupon: row, course });
  }

  /** Instructors see their own courses' coupons; admins every coupon, site-wide ones included. */
  async list(actor: Actor, query: { courseId?: string; page: number; pageSize: number }): Promise<Page<CouponView>> {
    const scope = actor.role === 'admin' ? 'all' : { instructorId: actor.userId };
    const { items, total } = await this.coupons.list(scope, { courseId: query.courseId }, query);
    return { items: items.map(toCouponView), total, page: query.page, pageSize: query.pageSize };
  }

  /** Switch a coupon off or on, move its expiry, change its limit (never below the uses already made). */
  async update(actor: Actor, id: string, patch: CouponPatch): Promise<CouponView> {
    const found = await this.coupons.find(id);
    if (!found) throw notFound();
    await this.assertManages(actor, found);
    const row = await this.coupons.update(id, {
      active: patch.active,
      expiresAt: this.expiryOf(patch.expiresAt),
      maxUses: patch.maxUses,
    });
    if (!row) {
      const current = await this.coupons.find(id);
      if (!current) throw notFound();
      throw new AppError(422, 'coupon_max_uses_too_low', 'The limit cannot be below the uses already made.', {
        usedCount: current.coupon.usedCount,
      });
    }
    return toCouponView({ coupon: row, course: found.course });
  }

  private async assertManages(actor: Actor, { coupon }: ListedCoupon): Promise<void> {
    if (coupon.courseId === null) {
      if (actor.role !== 'admin') throw forbidden('Only admins manage site-wide coupons.');
      return;
    }
    const owned = await this.coupons.course(coupon.courseId);
    if (!owned || !can(actor, 'coupon.manage', { ownerId: owned.instructorId })) {
      throw forbidden('You may only manage coupons of your own courses.');
    }
  }

  /** Undefined (leave as is) and null (never) pass through; a moment must be in the future. */
  private expiryOf(expiresAt: string | null | undefined): Date | null | undefined {
    if (expiresAt === undefined || expiresAt === null) return expiresAt;
    const at = new Date(expiresAt);
    if (!(at.getTime() > this.now().getTime())) {
      throw invalid('expires_in_past', 'The expiry must be in the future.');
    }
    return at;
  }
}

// Shapes of the commerce API (docs/design/payments.md): checkout quotes, orders, receipts, refunds,
// revenue and coupons, taken from the schema generated from the server's OpenAPI document
// (npm run api:gen), like learning/types.ts. Amounts are in the currency's minor unit (cents for
// USD, won for KRW); timestamps are ISO strings.
import type { components, paths } from '../api/schema';
import type { Currency } from '../catalog/types';

type Schemas = components['schemas'];

export type { Currency };

export type Order = Schemas['Order'];
export type OrderStatus = Order['status'];
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'failed', 'expired', 'refunded'];

export type CheckoutQuote = Schemas['CheckoutQuote'];
export type CouponKind = Schemas['Coupon']['kind'];

/** Why a coupon was refused (422 coupon_invalid, details.reason). */
export type CouponRefusal = 'not_found' | 'expired' | 'exhausted' | 'not_applicable' | 'inactive';

export type OrderDetail = Schemas['OrderDetail'];
export type RefundRequest = Schemas['RefundRequest'];
export type RefundRequestStatus = RefundRequest['status'];
/** Why a refund cannot be requested; null when it can. */
export type RefundIneligibility = NonNullable<OrderDetail['refund']['reason']>;

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** `checkoutUrl` is null when a coupon made the course free: the order is already paid. */
export type CreatedOrder = Json<paths['/api/v1/orders']['post']['responses'][201]>;

export type AdminOrder = Schemas['AdminOrder'];
export type AdminRefundRequest = Schemas['AdminRefundRequest'];

export interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type Revenue = Schemas['Revenue'];
export type RevenueRow = Revenue['items'][number];
export type RevenueTotal = Revenue['totals'][number];

export type Coupon = Schemas['Coupon'];
export type NewCoupon = Json<paths['/api/v1/studio/coupons']['post']['requestBody']>;
export type CouponPatch = Json<paths['/api/v1/studio/coupons/{id}']['patch']['requestBody']>;

import type { Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { RevenueRepository, RevenueRow } from './revenue-repository.js';

type Currency = RevenueRow['currency'];

export interface RevenueLine extends RevenueRow {
  net: number;
}

export interface RevenueTotal {
  currency: Currency;
  orders: number;
  gross: number;
  refunded: number;
  net: number;
}

export interface RevenueReport {
  items: RevenueLine[];
  /** One line per currency: amounts in different currencies are never added up. */
  totals: RevenueTotal[];
}

/** At most three years at once: enough for a yearly comparison, bounded for the query. */
export const MAX_REVENUE_MONTHS = 36;
const DEFAULT_MONTHS = 12;

/** A month as a count since year 0, so spans are subtractions. */
function monthIndex(month: string): number {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return year * 12 + (m - 1);
}

function monthOf(index: number): string {
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function startOf(index: number): Date {
  return new Date(Date.UTC(Math.floor(index / 12), index % 12, 1));
}

const rangeInvalid = (reason: string, message: string) =>
  new AppError(422, 'revenue_range_invalid', message, { reason, maxMonths: MAX_REVENUE_MONTHS });

/**
 * The months asked for, inclusive, as [from, until) instants in UTC. Without `to` the current
 * month; without `from` the twelve months up to `to`.
 */
export function revenueRange(query: { from?: string; to?: string }, now: Date) {
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const to = query.to ? monthIndex(query.to) : current;
  const from = query.from ? monthIndex(query.from) : to - (DEFAULT_MONTHS - 1);
  if (from > to) throw rangeInvalid('from_after_to', '`from` must not be after `to`.');
  if (to - from + 1 > MAX_REVENUE_MONTHS) {
    throw rangeInvalid('too_long', `At most ${MAX_REVENUE_MONTHS} months at once.`);
  }
  return { from: monthOf(from), to: monthOf(to), start: startOf(from), until: startOf(to + 1) };
}

/** Sums per currency, in a stable order. */
export function revenueTotals(items: readonly RevenueRow[]): RevenueTotal[] {
  const totals = new Map<Currency, RevenueTotal>();
  for (const item of items) {
    const total = totals.get(item.currency) ?? { currency: item.currency, orders: 0, gross: 0, refunded: 0, net: 0 };
    total.orders += item.orders;
    total.gross += item.gross;
    total.refunded += item.refunded;
    total.net = total.gross - total.refunded;
    totals.set(item.currency, total);
  }
  return [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/** An instructor's sales by course and month; admins may look at any instructor's. */
export class RevenueService {
  constructor(
    private readonly revenue: RevenueRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async report(actor: Actor, query: { from?: string; to?: string; instructorId?: string }): Promise<RevenueReport> {
    const instructorId = query.instructorId ?? actor.userId;
    if (instructorId !== actor.userId && actor.role !== 'admin') {
      throw new AppError(403, 'forbidden', "Only admins may see another instructor's revenue.");
    }
    const range = revenueRange(query, this.now());
    const rows = await this.revenue.byCourseAndMonth(instructorId, range.start, range.until);
    return {
      items: rows.map((r) => ({ ...r, net: r.gross - r.refunded })),
      totals: revenueTotals(rows),
    };
  }
}

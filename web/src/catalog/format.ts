// Numbers of the catalog through Intl, so each language gets its own conventions
// ("₩29,000" / "29,000원", "$19.99" / "US$19.99") without strings in the catalogues.
import type { Currency, Price } from './types';

/** Digits after the decimal point of each currency's minor unit. */
const MINOR_DIGITS: Record<Currency, number> = { KRW: 0, USD: 2 };

export function toMajorUnits(amount: number, currency: Currency): number {
  return amount / 10 ** MINOR_DIGITS[currency];
}

/** Minor units of what a person typed in major units ("19.99" USD → 1999); undefined when not a price. */
export function fromMajorUnits(text: string, currency: Currency): number | undefined {
  const trimmed = text.trim().replace(/,/g, '');
  const digits = MINOR_DIGITS[currency];
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * 10 ** digits);
}

/** A price as the locale writes it, e.g. "₩29,000" in Korean or "$19.99" in English. */
export function formatPrice(price: Price, locale: string): string {
  const digits = MINOR_DIGITS[price.currency];
  const major = toMajorUnits(price.amount, price.currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: price.currency,
    minimumFractionDigits: Number.isInteger(major) && digits > 0 ? 0 : digits,
    maximumFractionDigits: digits,
  }).format(major);
}

/** An average rating with one decimal ("4.5"), in the locale's digits. */
export function formatRating(average: number, locale: string): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(average);
}

export function formatCount(count: number, locale: string): string {
  return new Intl.NumberFormat(locale, { notation: count >= 10_000 ? 'compact' : 'standard' }).format(count);
}

/** A duration as hours and minutes ("2 hr 5 min", "2시간 5분"), at least one minute. */
export function formatDuration(seconds: number, locale: string): string {
  const totalMinutes = Math.max(1, Math.round(seconds / 60));
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  const unit = (value: number, name: 'hour' | 'minute') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  if (hours === 0) return unit(minutes, 'minute');
  return minutes === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
}

export function formatBytes(bytes: number, locale: string): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let value = bytes;
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[index],
    unitDisplay: 'short',
    maximumFractionDigits: index === 0 ? 0 : 1,
  }).format(value);
}

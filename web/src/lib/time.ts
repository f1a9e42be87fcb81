// Date formatting through Intl only, so every language gets its own
// conventions ("3분 전", "3 minutes ago") without strings in the catalogues.

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** A full date and time, e.g. "2026년 11월 26일 목요일 오후 4:19:43". */
export function formatDateTime(date: Date | number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'medium' }).format(date);
}

/** A compact date and time for lists, e.g. "Nov 26, 2026, 4:19 PM". */
export function formatShortDateTime(date: Date | number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/**
 * "now", "5 minutes ago", "yesterday" for the last week, then the date itself.
 * A timestamp slightly in the future (clocks of server and browser disagree)
 * reads as "now" rather than "in 2 seconds".
 */
export function formatRelativeTime(date: Date | number, now: Date | number, locale: string): string {
  const elapsedSeconds = Math.max(0, (Number(now) - Number(date)) / 1000);
  if (elapsedSeconds >= WEEK) return formatShortDateTime(date, locale);

  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (elapsedSeconds < 10) return relative.format(0, 'second');
  if (elapsedSeconds < MINUTE) return relative.format(-Math.floor(elapsedSeconds), 'second');
  if (elapsedSeconds < HOUR) return relative.format(-Math.floor(elapsedSeconds / MINUTE), 'minute');
  if (elapsedSeconds < DAY) return relative.format(-Math.floor(elapsedSeconds / HOUR), 'hour');
  return relative.format(-Math.floor(elapsedSeconds / DAY), 'day');
}

import { describe, expect, it } from 'vitest';
import { formatRelativeTime, formatShortDateTime } from './time';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const ago = (seconds: number) => NOW - seconds * 1000;

describe('formatRelativeTime', () => {
  it.each([
    [0, 'en', 'now'],
    [5, 'en', 'now'],
    [30, 'en', '30 seconds ago'],
    [5 * 60, 'en', '5 minutes ago'],
    [3 * 3600, 'en', '3 hours ago'],
    [26 * 3600, 'en', 'yesterday'],
    [3 * 86400, 'en', '3 days ago'],
    [0, 'ko', '지금'],
    [5 * 60, 'ko', '5분 전'],
    [26 * 3600, 'ko', '어제'],
  ])('%i seconds ago in %s reads %j', (seconds, locale, expected) => {
    expect(formatRelativeTime(ago(seconds), NOW, locale)).toBe(expected);
  });

  it('reads a timestamp slightly in the future as now', () => {
    expect(formatRelativeTime(NOW + 3_000, NOW, 'en')).toBe('now');
  });

  it('gives the date itself once a message is a week old', () => {
    const old = ago(8 * 86400);
    expect(formatRelativeTime(old, NOW, 'ko')).toBe(formatShortDateTime(old, 'ko'));
  });
});

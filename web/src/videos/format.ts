// Upload figures through Intl, so each language writes its own units ("2.5 MB/s", "1분 5초").
import type { TFunction } from 'i18next';
import { ApiError } from '../api/apiError';
import { describeError } from '../auth/errorMessages';
import { VIDEO_FAILURE_CODES, type VideoFailureCode } from './types';
import { TransportError } from './upload/uploader';

export function formatSpeed(bytesPerSecond: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'megabyte-per-second',
    unitDisplay: 'short',
    maximumFractionDigits: 1,
  }).format(bytesPerSecond / 1_000_000);
}

/** "45 sec", "3 min 5 sec", "1 hr 2 min": the two largest units are precise enough for a wait. */
export function formatTimeLeft(seconds: number, locale: string): string {
  const unit = (value: number, name: 'hour' | 'minute' | 'second') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  const whole = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return minutes > 0 ? `${unit(hours, 'hour')} ${unit(minutes, 'minute')}` : unit(hours, 'hour');
  if (minutes > 0) return rest > 0 ? `${unit(minutes, 'minute')} ${unit(rest, 'second')}` : unit(minutes, 'minute');
  return unit(rest, 'second');
}

/** A video's length as a player shows it: "12:05" or "1:02:09". */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function isFailureCode(code: string | null): code is VideoFailureCode {
  return code !== null && (VIDEO_FAILURE_CODES as readonly string[]).includes(code);
}

/** Why processing failed, in the reader's language, from the video's failureCode. */
export function failureReason(t: TFunction, failureCode: string | null): string {
  return isFailureCode(failureCode) ? t(`videos.failure.${failureCode}`) : t('videos.failure.unknown');
}

const UPLOAD_ERROR_CODES = [
  'video_too_large',
  'video_limit_reached',
  'video_quota_exceeded',
  'video_not_found',
  'upload_incomplete',
] as const;

/** Why an upload stopped, in the reader's language. */
export function uploadErrorMessage(t: TFunction, error: unknown): string {
  if (error instanceof TransportError) {
    const code = (UPLOAD_ERROR_CODES as readonly string[]).find((known) => known === error.code) as
      (typeof UPLOAD_ERROR_CODES)[number] | undefined;
    if (code) return t(`videos.errors.${code}`);
    if (error.kind === 'network') return t('videos.errors.network');
    if (error.cause instanceof ApiError) {
      const description = describeError(error.cause);
      return t(description.key, description.values ?? {});
    }
  }
  const description = describeError(error);
  return t(description.key, description.values ?? {});
}

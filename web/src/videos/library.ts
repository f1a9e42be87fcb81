// Pure helpers of the studio's video library (/studio/videos and /studio/videos/:id).
import type { TFunction } from 'i18next';
import type { StudioVideo, VideoStatus } from './types';

/** The states GET /studio/videos filters by; aborted uploads are never listed. */
export const VIDEO_LIST_STATUSES = ['uploading', 'uploaded', 'processing', 'ready', 'failed'] as const;
export type VideoListStatus = (typeof VIDEO_LIST_STATUSES)[number];

/** The ?status= of the page's URL, or '' (all) for anything the API would refuse. */
export function parseStatusFilter(value: string | null): VideoListStatus | '' {
  return (VIDEO_LIST_STATUSES as readonly string[]).includes(value ?? '') ? (value as VideoListStatus) : '';
}

/** The ?page= of the page's URL: a whole number from 1, else 1. */
export function parsePage(value: string | null): number {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 ? page : 1;
}

/** Still moving on the server by itself: worth polling until it settles. */
export function isChanging(video: Pick<StudioVideo, 'status'> | undefined): boolean {
  return video?.status === 'uploaded' || video?.status === 'processing';
}

/** The short state of a video, as its badge shows it ("Processing 42%", "Ready"). */
export function statusLabel(t: TFunction, video: Pick<StudioVideo, 'status' | 'progressPercent'>): string {
  return video.status === 'processing'
    ? t('videos.library.status.processing', { percent: Math.floor(video.progressPercent) })
    : t(`videos.library.status.${video.status}`);
}

export const statusTone: Record<VideoStatus, string> = {
  uploading: 'bg-amber-100 text-amber-900',
  uploaded: 'bg-sky-100 text-sky-900',
  processing: 'bg-indigo-100 text-indigo-900',
  ready: 'bg-emerald-100 text-emerald-900',
  failed: 'bg-red-100 text-red-900',
  aborted: 'bg-slate-100 text-slate-800',
};

/** A rendition's bitrate in megabits per second, as the locale writes it ("2.5 Mbps"). */
export function formatMbps(bitsPerSecond: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'megabit-per-second',
    unitDisplay: 'short',
    maximumFractionDigits: 1,
  }).format(bitsPerSecond / 1_000_000);
}

/** "1280×720", or null while the video has not been probed. */
export function formatResolution(width: number | null, height: number | null): string | null {
  return width && height ? `${width}×${height}` : null;
}

import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { LessonPlayerProps } from './player/LessonPlayer';
import type { LessonVideo } from './types';

// The player (media-chrome, hls.js) is most of the page's weight: text lessons never download it.
const LessonPlayer = lazy(() => import('./player/LessonPlayer').then((module) => ({ default: module.LessonPlayer })));

/** Where a video lesson's video stands for a viewer: playing, or why not. */
export function LessonVideoArea({ video, ...player }: { video: LessonVideo | null | undefined } & LessonPlayerProps) {
  const { t } = useTranslation();
  if (!video) return null;
  if (video.status === 'ready') {
    return (
      <Suspense fallback={<div className="mt-6 aspect-video w-full rounded-lg bg-black" />}>
        <LessonPlayer key={player.lessonId} {...player} />
      </Suspense>
    );
  }
  if (video.status === 'failed' || video.status === 'aborted') {
    return <p className="mt-6 rounded-lg bg-slate-100 p-6 text-slate-700">{t('videos.player.failed')}</p>;
  }
  return (
    <div
      role="status"
      className="mt-6 flex aspect-video flex-col items-center justify-center rounded-lg bg-slate-900 p-6 text-center"
    >
      <p className="text-lg font-bold text-white">{t('videos.player.processing')}</p>
      <p className="mt-2 max-w-md text-sm text-slate-300">{t('videos.player.processingBody')}</p>
    </div>
  );
}

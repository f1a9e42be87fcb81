import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { LessonVideo } from './types';

// hls.js is most of the player's weight: text lessons never download it.
const VideoPlayer = lazy(() => import('./VideoPlayer').then((module) => ({ default: module.VideoPlayer })));

/** Where a video lesson's video stands for a viewer: playing, or why not. */
export function LessonVideoArea({ video, title }: { video: LessonVideo | null | undefined; title: string }) {
  const { t } = useTranslation();
  if (!video) return null;
  const { masterUrl } = video;
  if (video.status === 'ready' && masterUrl) {
    return (
      <Suspense fallback={<div className="mt-6 aspect-video w-full rounded-lg bg-black" />}>
        <VideoPlayer key={masterUrl} video={{ ...video, masterUrl }} title={title} />
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

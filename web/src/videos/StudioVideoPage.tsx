import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { lazy, Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/apiError';
import { describeError } from '../auth/errorMessages';
import { QueryState } from '../catalog/components/AsyncState';
import { formatBytes } from '../catalog/format';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { dangerButton, linkClass } from '../components/form';
import { formatShortDateTime } from '../lib/time';
import { deleteStudioVideo, fetchStudioVideo, videoKeys } from './api';
import { CaptionsPanel } from './captions/CaptionsPanel';
import { failureReason, formatClock } from './format';
import { formatMbps, formatResolution, isChanging, statusLabel } from './library';
import type { Page } from '../catalog/types';
import type { StudioVideo } from './types';
import { useMediaObjectUrl } from './useMediaObjectUrl';
import { VideoStatusBadge } from './VideoStatusBadge';

// hls.js is most of the player's weight: only a ready video's page downloads it.
const VideoPlayer = lazy(() => import('./VideoPlayer').then((module) => ({ default: module.VideoPlayer })));

const POLL_MS = 2_000;

/** One video of the library: where processing stands, what it produced, a preview, and delete. */
export function StudioVideoPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const video = useQuery({
    queryKey: videoKeys.video(id),
    queryFn: ({ signal }) => fetchStudioVideo(id, signal),
    refetchInterval: (query) => (isChanging(query.state.data) ? POLL_MS : false),
    // A 404 will not turn into a video by asking again.
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  useDocumentTitle(video.data?.originalFilename ?? t('videos.library.title'));

  if (video.isError && video.error instanceof ApiError && video.error.status === 404) return <VideoNotFound />;
  return (
    <section className="mx-auto max-w-4xl px-4 py-10 sm:px-6">
      <BackLink />
      <QueryState query={video}>{(data) => <VideoDetails video={data} />}</QueryState>
    </section>
  );
}

function BackLink() {
  const { t } = useTranslation();
  return (
    <p className="text-sm">
      <Link to="/studio/videos" className={linkClass}>
        {t('videos.library.back')}
      </Link>
    </p>
  );
}

function VideoNotFound() {
  const { t } = useTranslation();
  return (
    <section className="mx-auto max-w-4xl px-4 py-10 sm:px-6">
      <BackLink />
      <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">{t('videos.library.notFound')}</h1>
      <p className="mt-2 text-slate-600">{t('videos.library.notFoundBody')}</p>
    </section>
  );
}

function VideoDetails({ video }: { video: StudioVideo }) {
  const { t, i18n } = useTranslation();
  const poster = useMediaObjectUrl(video.status === 'ready' ? video.posterUrl : null);
  const resolution = formatResolution(video.width, video.height);
  const { masterUrl } = video;
  const unknown = t('videos.library.unknown');
  return (
    <article>
      <h1 className="mt-2 text-2xl font-bold tracking-tight break-words text-slate-900 sm:text-3xl">
        {video.originalFilename}
      </h1>

      <section aria-labelledby="video-status" className="mt-6">
        <h2 id="video-status" className="text-lg font-bold text-slate-900">
          {t('videos.library.statusHeading')}
        </h2>
        <div className="mt-2 flex flex-wrap items-center gap-3">
          <VideoStatusBadge video={video} />
          {video.status === 'failed' && (
            <p className="text-sm text-red-700">
              {t('videos.status.failed', { reason: failureReason(t, video.failureCode) })}
            </p>
          )}
        </div>
        {video.status === 'processing' && (
          <progress
            max={100}
            value={video.progressPercent}
            aria-label={statusLabel(t, video)}
            className="mt-2 h-2 w-full accent-indigo-700"
          />
        )}
        {video.status === 'uploading' && (
          <p className="mt-2 text-sm text-slate-600">{t('videos.library.uploadingHint')}</p>
        )}
        <p className="sr-only" aria-live="polite">
          {announcement(t, video)}
        </p>
      </section>

      {video.status === 'ready' && masterUrl && (
        <section aria-labelledby="video-preview" className="mt-8">
          <h2 id="video-preview" className="text-lg font-bold text-slate-900">
            {t('videos.library.preview')}
          </h2>
          <Suspense fallback={<div className="mt-6 aspect-video w-full rounded-lg bg-black" />}>
            <VideoPlayer
              // Keyed by the video, not its URL: every refetch signs the URLs anew (a new token),
              // which the preview takes per request without starting over.
              key={video.id}
              masterUrl={masterUrl}
              posterUrl={video.posterUrl}
              storyboardUrl={video.storyboardUrl}
              title={video.originalFilename}
            />
          </Suspense>
        </section>
      )}

      <section aria-labelledby="video-details" className="mt-8">
        <h2 id="video-details" className="text-lg font-bold text-slate-900">
          {t('videos.library.details')}
        </h2>
        <div className="mt-3 flex flex-col gap-4 sm:flex-row sm:items-start">
          {poster && (
            <img
              src={poster}
              alt={t('videos.library.posterAlt', { name: video.originalFilename })}
              className="aspect-video w-40 rounded-lg object-cover sm:w-64"
            />
          )}
          <dl className="grid flex-1 grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <Fact label={t('videos.library.file')}>
              <span className="break-all">{video.originalFilename}</span>
            </Fact>
            <Fact label={t('videos.library.size')}>{formatBytes(video.sizeBytes, i18n.language)}</Fact>
            <Fact label={t('videos.library.duration')}>
              {video.durationSeconds !== null ? formatClock(video.durationSeconds) : unknown}
            </Fact>
            <Fact label={t('videos.library.resolution')}>{resolution ?? unknown}</Fact>
            <Fact label={t('videos.library.addedAt')}>
              {formatShortDateTime(new Date(video.createdAt), i18n.language)}
            </Fact>
            {video.readyAt && (
              <Fact label={t('videos.library.readyAt')}>
                {formatShortDateTime(new Date(video.readyAt), i18n.language)}
              </Fact>
            )}
          </dl>
        </div>
      </section>

      {video.renditions.length > 0 && (
        <section aria-labelledby="video-renditions" className="mt-8">
          <h2 id="video-renditions" className="text-lg font-bold text-slate-900">
            {t('videos.library.renditions')}
          </h2>
          <table className="mt-3 w-full max-w-lg text-left text-sm">
            <thead className="border-b border-slate-300 text-slate-700">
              <tr>
                <th scope="col" className="py-2 pr-4 font-semibold">
                  {t('videos.library.renditionName')}
                </th>
                <th scope="col" className="py-2 pr-4 font-semibold">
                  {t('videos.library.renditionSize')}
                </th>
                <th scope="col" className="py-2 font-semibold">
                  {t('videos.library.renditionBitrate')}
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {video.renditions.map((rendition) => (
                <tr key={rendition.name}>
                  <th scope="row" className="py-2 pr-4 font-medium text-slate-900">
                    {rendition.name}
                  </th>
                  <td className="py-2 pr-4 text-slate-700">{formatResolution(rendition.width, rendition.height)}</td>
                  <td className="py-2 text-slate-700">{formatMbps(rendition.bandwidth, i18n.language)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <CaptionsPanel videoId={video.id} />

      <DeleteVideo video={video} />
    </article>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="font-medium text-slate-600">{label}</dt>
      <dd className="min-w-0 text-slate-900">{children}</dd>
    </>
  );
}

/**
 * What a screen reader hears: each change of state, and processing every tenth percent rather
 * than at every two-second poll.
 */
function announcement(t: TFunction, video: StudioVideo): string {
  if (video.status === 'processing') {
    return statusLabel(t, { ...video, progressPercent: Math.floor(video.progressPercent / 10) * 10 });
  }
  if (video.status === 'failed') return t('videos.status.failed', { reason: failureReason(t, video.failureCode) });
  return statusLabel(t, video);
}

function DeleteVideo({ video }: { video: StudioVideo }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => deleteStudioVideo(video.id),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: videoKeys.video(video.id) });
      // Pages of the list not on screen are only marked stale by an invalidation: without this the
      // list would first show the deleted video from its cache, next to the "deleted" notice.
      queryClient.setQueriesData<Page<StudioVideo>>({ queryKey: videoKeys.allVideos }, (page) =>
        page && page.items.some((item) => item.id === video.id)
          ? { ...page, items: page.items.filter((item) => item.id !== video.id), total: page.total - 1 }
          : page,
      );
      await queryClient.invalidateQueries({ queryKey: videoKeys.allVideos });
      void navigate('/studio/videos', { state: { deleted: video.originalFilename } });
    },
  });
  return (
    <div className="mt-10 border-t border-slate-200 pt-6">
      <button
        type="button"
        className={dangerButton}
        disabled={remove.isPending}
        onClick={() => {
          if (window.confirm(t('videos.library.confirmDelete', { name: video.originalFilename }))) remove.mutate();
        }}
      >
        {remove.isPending ? t('videos.library.deleting') : t('videos.library.delete')}
      </button>
      <div role="alert" className="mt-3">
        {remove.isError && (
          <p className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
            {deleteErrorMessage(t, remove.error)}
          </p>
        )}
      </div>
    </div>
  );
}

function deleteErrorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError && (error.code === 'video_in_use' || error.code === 'video_not_found')) {
    return t(`videos.library.errors.${error.code}`);
  }
  const description = describeError(error);
  return t(description.key, description.values ?? {});
}

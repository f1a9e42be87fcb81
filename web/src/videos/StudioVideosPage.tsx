import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearchParams } from 'react-router';
import { PageLinks, QueryState } from '../catalog/components/AsyncState';
import { formatBytes } from '../catalog/format';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { FilterSelect } from '../components/adminList';
import { Notice, linkClass } from '../components/form';
import { formatShortDateTime } from '../lib/time';
import { fetchStudioVideos, videoKeys } from './api';
import { formatClock } from './format';
import { VIDEO_LIST_STATUSES, isChanging, parsePage, parseStatusFilter } from './library';
import type { StudioVideo } from './types';
import { useMediaObjectUrl } from './useMediaObjectUrl';
import { VideoStatusBadge } from './VideoStatusBadge';

const PAGE_SIZE = 20;
/** Rows still processing refresh this often; a settled list is not polled. */
const LIST_POLL_MS = 4_000;

/** The instructor's video library: every upload and what became of it, newest first. */
export function StudioVideosPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('videos.library.title'));
  const location = useLocation();
  // The detail page comes back here after a delete, naming the video it deleted.
  const deleted = (location.state as { deleted?: string } | null)?.deleted;
  // Filter and page live in the URL, so a reload or a shared link shows the same list.
  const [params, setParams] = useSearchParams();
  const status = parseStatusFilter(params.get('status'));
  const page = parsePage(params.get('page'));
  const query = { page, pageSize: PAGE_SIZE, status: status || undefined };
  const videos = useQuery({
    queryKey: videoKeys.videos(query),
    queryFn: ({ signal }) => fetchStudioVideos(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (current) => (current.state.data?.items.some(isChanging) ? LIST_POLL_MS : false),
  });

  function show(next: { status?: string; page?: number }) {
    const search = new URLSearchParams();
    const nextStatus = next.status ?? status;
    const nextPage = next.page ?? page;
    if (nextStatus) search.set('status', nextStatus);
    if (nextPage > 1) search.set('page', String(nextPage));
    setParams(search);
  }

  return (
    <section className="mx-auto max-w-5xl px-4 py-10 sm:px-6">
      <p className="text-sm">
        <Link to="/studio" className={linkClass}>
          {t('catalog.studio.title')}
        </Link>
      </p>
      <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">{t('videos.library.title')}</h1>
      <p className="mt-2 text-slate-600">{t('videos.library.intro')}</p>
      {deleted && (
        <div className="mt-4">
          <Notice>{t('videos.library.deleted', { name: deleted })}</Notice>
        </div>
      )}
      <div className="mt-6 w-full max-w-xs">
        <FilterSelect
          id="studio-video-status"
          label={t('videos.library.filterLabel')}
          value={status}
          options={VIDEO_LIST_STATUSES.map((value) => ({
            value,
            label: value === 'processing' ? t('videos.library.processingAny') : t(`videos.library.status.${value}`),
          }))}
          onChange={(value) => show({ status: value, page: 1 })}
        />
      </div>
      <h2 className="sr-only">{t('videos.library.listLabel')}</h2>
      <QueryState query={videos}>
        {(result) =>
          result.items.length === 0 ? (
            <p className="mt-6 text-slate-600">
              {status ? t('videos.library.emptyFiltered') : t('videos.library.empty')}
            </p>
          ) : (
            <>
              <ul
                aria-label={t('videos.library.listLabel')}
                className="mt-6 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white"
              >
                {result.items.map((video) => (
                  <VideoRow key={video.id} video={video} />
                ))}
              </ul>
              <PageLinks
                page={result.page}
                total={result.total}
                pageSize={result.pageSize}
                onPage={(next) => show({ page: next })}
              />
            </>
          )
        }
      </QueryState>
    </section>
  );
}

function VideoRow({ video }: { video: StudioVideo }) {
  const { t, i18n } = useTranslation();
  // The media route knows the owner only by the bearer token, which an <img src> cannot send.
  const poster = useMediaObjectUrl(video.status === 'ready' ? video.posterUrl : null);
  const facts = [
    video.durationSeconds !== null ? formatClock(video.durationSeconds) : null,
    formatBytes(video.sizeBytes, i18n.language),
    t('videos.library.added', { date: formatShortDateTime(new Date(video.createdAt), i18n.language) }),
  ].filter((fact): fact is string => fact !== null);
  return (
    <li className="flex items-center gap-3 px-3 py-3 sm:gap-4 sm:px-4">
      {/* Decorative: the file name beside it names the video. */}
      <div className="aspect-video w-20 shrink-0 overflow-hidden rounded bg-slate-200 sm:w-28">
        {poster && <img src={poster} alt="" className="h-full w-full object-cover" />}
      </div>
      <div className="min-w-0 flex-1">
        <Link
          to={`/studio/videos/${encodeURIComponent(video.id)}`}
          className={`block truncate ${linkClass}`}
          title={video.originalFilename}
        >
          {video.originalFilename}
        </Link>
        <p className="mt-1 text-xs text-slate-600">{facts.join(' · ')}</p>
      </div>
      <VideoStatusBadge video={video} />
    </li>
  );
}

import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useId, useRef, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { focusRing } from '../components/form';
import { updateLesson } from '../catalog/api';
import { formatBytes } from '../catalog/format';
import type { StudioLesson } from '../catalog/types';
import { fetchStudioVideo, videoKeys } from './api';
import { failureReason, formatClock, formatSpeed, formatTimeLeft, uploadErrorMessage } from './format';
import type { StudioVideo } from './types';
import { browserEnvironment, browserTransport } from './upload/browserTransport';
import { ResumableUpload, type UploadSnapshot } from './upload/uploader';
import { useMediaObjectUrl } from './useMediaObjectUrl';

const smallButton = `inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50 ${focusRing}`;
const MAX_VIDEO_BYTES = 20 * 1024 ** 3;
const POLL_MS = 2_000;
const STUDIO_COURSES = ['studio', 'course'] as const;
const noopSubscribe = () => () => undefined;
const nullSnapshot = () => null;

interface ActiveUpload {
  job: ResumableUpload;
  fileName: string;
  /** Set once the finished upload is attached to the lesson (or failed to be). */
  attached: Promise<void>;
}

// Uploads outlive the editor's panels: collapsing a lesson or re-rendering the course must not
// drop a 10 GB upload. One per lesson, for the life of the page.
const activeUploads = new Map<string, ActiveUpload>();

const isActive = (snapshot: UploadSnapshot) =>
  snapshot.phase === 'starting' ||
  snapshot.phase === 'uploading' ||
  snapshot.phase === 'paused' ||
  snapshot.phase === 'offline' ||
  snapshot.phase === 'completing';

/**
 * The video of one video lesson in the curriculum editor: its processing status (polled while it
 * changes), and an upload control that resumes a file picked again after a reload.
 */
export function LessonVideoPanel({ lesson }: { lesson: StudioLesson }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const groupId = useId();
  const [active, setActive] = useState<ActiveUpload | null>(() => activeUploads.get(lesson.id) ?? null);
  // Re-renders on every change of the upload, so the picker hides and comes back with it.
  const snapshot = useSyncExternalStore(
    active?.job.subscribe ?? noopSubscribe,
    active?.job.getSnapshot ?? nullSnapshot,
    active?.job.getSnapshot ?? nullSnapshot,
  );
  const [attachError, setAttachError] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);

  function choose(file: File | undefined) {
    setPickError(null);
    setAttachError(null);
    if (!file) return;
    if (file.type && !file.type.startsWith('video/')) return setPickError(t('videos.upload.notVideo'));
    if (file.size > MAX_VIDEO_BYTES) return setPickError(t('videos.upload.tooLarge'));
    const job = new ResumableUpload(file, { transport: browserTransport, env: browserEnvironment });
    const attached = job.settled.then(async () => {
      const { phase, video } = job.getSnapshot();
      if (phase !== 'completed' || !video) return;
      try {
        queryClient.setQueryData(videoKeys.video(video.id), video);
        await updateLesson(lesson.id, { videoId: video.id });
        // The lesson does not name its course; every open studio course refetches (one, in practice).
        await queryClient.invalidateQueries({ queryKey: STUDIO_COURSES });
      } catch (error) {
        setAttachError(uploadErrorMessage(t, error));
      } finally {
        if (activeUploads.get(lesson.id)?.job === job) activeUploads.delete(lesson.id);
      }
    });
    const entry: ActiveUpload = { job, fileName: file.name, attached };
    activeUploads.set(lesson.id, entry);
    setActive(entry);
    void job.start();
  }

  return (
    <div
      role="group"
      aria-labelledby={`${groupId}-title`}
      className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3"
    >
      <p id={`${groupId}-title`} className="sr-only">
        {t('videos.upload.group', { title: lesson.title })}
      </p>
      <VideoStatus videoId={lesson.videoId} />
      {/* Once the finished upload is the lesson's video, its status above says everything. */}
      {active && !(snapshot?.phase === 'completed' && snapshot.video?.id === lesson.videoId) && (
        <UploadControls active={active} />
      )}
      {!(snapshot && isActive(snapshot)) && <UploadPicker replacing={lesson.videoId !== null} onPick={choose} />}
      {(pickError ?? attachError) && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {pickError ?? attachError}
        </p>
      )}
    </div>
  );
}

function UploadPicker({ replacing, onPick }: { replacing: boolean; onPick: (file: File | undefined) => void }) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="mt-3">
      <label htmlFor={`${id}-file`} className="block text-sm font-medium text-slate-800">
        {replacing ? t('videos.upload.replaceLabel') : t('videos.upload.fileLabel')}
      </label>
      <input
        id={`${id}-file`}
        type="file"
        accept="video/*"
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          onPick(event.target.files?.[0]);
          event.target.value = '';
        }}
        className={`mt-1 block w-full max-w-full text-sm ${focusRing}`}
      />
      <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
        {t('videos.upload.fileHint')}
      </p>
    </div>
  );
}

function UploadControls({ active }: { active: ActiveUpload }) {
  const { t, i18n } = useTranslation();
  const { job, fileName } = active;
  const snapshot = useSyncExternalStore(job.subscribe, job.getSnapshot, job.getSnapshot);
  const percent = snapshot.totalBytes > 0 ? Math.floor((snapshot.uploadedBytes / snapshot.totalBytes) * 100) : 0;
  const announcement = announcementOf(t, snapshot, percent, fileName);
  const { phase } = snapshot;

  let line: string;
  switch (phase) {
    case 'starting':
      line = t('videos.upload.starting');
      break;
    case 'uploading':
      line =
        snapshot.bytesPerSecond === null || snapshot.secondsLeft === null
          ? t('videos.upload.progressEstimating', { percent })
          : t('videos.upload.progress', {
              percent,
              speed: formatSpeed(snapshot.bytesPerSecond, i18n.language),
              timeLeft: t('videos.upload.timeLeft', { time: formatTimeLeft(snapshot.secondsLeft, i18n.language) }),
            });
      break;
    case 'paused':
      line = t('videos.upload.paused', { percent });
      break;
    case 'offline':
      line = t('videos.upload.offline');
      break;
    case 'completing':
      line = t('videos.upload.completing');
      break;
    case 'completed':
      line = t('videos.upload.completed');
      break;
    case 'cancelled':
      line = t('videos.upload.cancelled');
      break;
    case 'failed':
      line = t('videos.upload.failed', { reason: uploadErrorMessage(t, snapshot.error) });
      break;
  }

  const showBar = phase !== 'cancelled' && phase !== 'failed';
  return (
    <div className="mt-3">
      <p className="truncate text-sm font-medium text-slate-900">{fileName}</p>
      {snapshot.resumedParts > 0 && isActive(snapshot) && (
        <p className="text-sm text-indigo-800">
          {t('videos.upload.resuming', { done: snapshot.resumedParts, total: snapshot.partCount })}
        </p>
      )}
      {showBar && (
        <progress
          max={100}
          value={percent}
          aria-label={t('videos.upload.progressLabel', { name: fileName })}
          aria-valuetext={line}
          className="mt-1 h-2 w-full accent-indigo-700"
        >
          {percent}%
        </progress>
      )}
      <p
        data-testid="video-upload-status"
        className={`text-sm ${phase === 'failed' ? 'text-red-700' : phase === 'offline' ? 'text-amber-800' : 'text-slate-700'}`}
      >
        {line}
      </p>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      {isActive(snapshot) && phase !== 'completing' && phase !== 'starting' && (
        <div className="mt-2 flex flex-wrap gap-2">
          {phase === 'paused' ? (
            <button type="button" className={smallButton} onClick={() => job.resume()}>
              {t('videos.upload.resume')}
            </button>
          ) : (
            <button type="button" className={smallButton} onClick={() => job.pause()}>
              {t('videos.upload.pause')}
            </button>
          )}
          <button
            type="button"
            className={smallButton}
            onClick={() => {
              if (window.confirm(t('videos.upload.confirmCancel', { name: fileName }))) void job.cancel();
            }}
          >
            {t('videos.upload.cancel')}
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * What a screen reader hears: each change of state and every tenth percent, not every progress
 * event (which would drown everything else out). The text changes only at those steps.
 */
function announcementOf(t: TFunction, snapshot: UploadSnapshot, percent: number, fileName: string): string {
  switch (snapshot.phase) {
    case 'uploading':
      return `${t('videos.upload.progressLabel', { name: fileName })}: ${Math.floor(percent / 10) * 10}%`;
    case 'offline':
      return t('videos.upload.offline');
    case 'paused':
      return t('videos.upload.paused', { percent });
    case 'completed':
      return t('videos.upload.completed');
    case 'cancelled':
      return t('videos.upload.cancelled');
    case 'failed':
      return t('videos.upload.failed', { reason: uploadErrorMessage(t, snapshot.error) });
    default:
      return '';
  }
}

/** The attached video's state, polled every two seconds while it is being processed. */
function VideoStatus({ videoId }: { videoId: string | null }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const video = useQuery({
    queryKey: videoKeys.video(videoId ?? ''),
    queryFn: ({ signal }) => fetchStudioVideo(videoId ?? '', signal),
    enabled: videoId !== null,
    refetchInterval: (query) => (isChanging(query.state.data) ? POLL_MS : false),
  });
  const status = video.data?.status;
  // Ready sets the lesson's duration on the server: show it in the editor too.
  const previous = useRef(status);
  useEffect(() => {
    if (previous.current !== undefined && previous.current !== status && status === 'ready') {
      void queryClient.invalidateQueries({ queryKey: STUDIO_COURSES });
    }
    previous.current = status;
  }, [status, queryClient]);
  const poster = useMediaObjectUrl(video.data?.status === 'ready' ? video.data.posterUrl : null);

  if (videoId === null) return <p className="text-sm text-slate-600">{t('videos.status.none')}</p>;
  if (video.isError) return <p className="text-sm text-red-700">{t('videos.status.loadFailed')}</p>;
  if (!video.data) return <p className="text-sm text-slate-600">{t('catalog.loading')}</p>;
  const data = video.data;
  return (
    <div className="flex flex-wrap items-center gap-3">
      {poster && <img src={poster} alt={t('videos.status.posterAlt')} className="h-16 w-28 rounded object-cover" />}
      <div className="min-w-0 flex-1">
        <p aria-live="polite" className={`text-sm font-medium ${statusColour(data)}`}>
          {statusText(t, data)}
        </p>
        {data.status === 'processing' && (
          <progress
            max={100}
            value={data.progressPercent}
            aria-label={statusText(t, data)}
            className="mt-1 h-2 w-full accent-indigo-700"
          />
        )}
        {data.status === 'ready' && (
          <p className="text-xs text-slate-600">
            {t('videos.status.details', {
              duration: formatClock(data.durationSeconds ?? 0),
              height: data.height ?? 0,
              file: `${data.originalFilename} (${formatBytes(data.sizeBytes, i18n.language)})`,
            })}
          </p>
        )}
      </div>
    </div>
  );
}

function isChanging(video: StudioVideo | undefined): boolean {
  return video?.status === 'uploaded' || video?.status === 'processing';
}

function statusText(t: TFunction, video: StudioVideo): string {
  switch (video.status) {
    case 'processing':
      return t('videos.status.processing', { percent: video.progressPercent });
    case 'failed':
      return t('videos.status.failed', { reason: failureReason(t, video.failureCode) });
    default:
      return t(`videos.status.${video.status}`);
  }
}

function statusColour(video: StudioVideo): string {
  if (video.status === 'ready') return 'text-emerald-800';
  if (video.status === 'failed') return 'text-red-700';
  return 'text-slate-800';
}

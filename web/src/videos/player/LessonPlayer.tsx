import type { HlsVideoElement } from 'hls-video-element';
import { ErrorTypes, Events, type HlsConfig } from 'hls.js';
import type Hls from 'hls.js';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../api/apiError';
import { primaryButton, secondaryButton } from '../../components/form';
import { requestPlaybackGrant, sendProgress, type PlaybackGrant } from './api';
import { MediaPlayer } from './MediaPlayer';
import { PlaybackGrantKeeper, withPlaybackToken, type GrantTrouble } from './playback-grant';
import { ProgressReporter } from './progress-reporter';

/** Resuming this close to the end would only replay the last seconds: start over instead. */
const RESUME_END_MARGIN_SECONDS = 5;

type Problem = GrantTrouble | 'not_ready' | 'load';

export interface LessonPlayerProps {
  lessonId: string;
  title: string;
  /** Course page, for the enroll message. */
  courseHref: string;
  /** Last position from the course progress (seconds). */
  resumeAt?: number | undefined;
  autoPlay?: boolean;
  onEnded?: () => void;
  /** Progress changed on the server (a report was accepted): e.g. refresh completion ticks. */
  onProgress?: (completed: boolean) => void;
}

function troubleOf(error: unknown): GrantTrouble | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === 'playback_session_ended') return 'session_ended';
  if (error.status === 403 || error.status === 401) return 'forbidden';
  if (error.status === 404) return 'failed';
  return null;
}

/**
 * A lesson's video for a student: asks for a playback grant, keeps it fresh while playing
 * (PlaybackGrantKeeper; every media request carries the newest token), reports progress, and says
 * plainly when it cannot play (not enrolled, taken over by another device).
 */
export function LessonPlayer({
  lessonId,
  title,
  courseHref,
  resumeAt,
  autoPlay,
  onEnded,
  onProgress,
}: LessonPlayerProps) {
  const { t } = useTranslation();
  const [grant, setGrant] = useState<PlaybackGrant | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  // Each take-over is a new session: a new player instance, resuming where this one stopped.
  const [generation, setGeneration] = useState(0);
  const [startAt, setStartAt] = useState<number | undefined>(resumeAt);
  const [takingOver, setTakingOver] = useState(false);
  const mediaRef = useRef<HlsVideoElement | null>(null);

  useEffect(() => {
    let cancelled = false;
    requestPlaybackGrant(lessonId).then(
      (first) => {
        if (!cancelled) setGrant(first);
      },
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.code === 'video_not_ready') setProblem('not_ready');
        else setProblem(troubleOf(error) === 'forbidden' ? 'forbidden' : 'load');
      },
    );
    return () => {
      cancelled = true;
    };
  }, [lessonId]);

  const takeOver = useCallback(async () => {
    setTakingOver(true);
    try {
      const fresh = await requestPlaybackGrant(lessonId);
      setStartAt(mediaRef.current?.currentTime ?? startAt);
      setProblem(null);
      setGrant(fresh);
      setGeneration((value) => value + 1);
    } catch (error) {
      setProblem(troubleOf(error) === 'forbidden' ? 'forbidden' : 'load');
    } finally {
      setTakingOver(false);
    }
  }, [lessonId, startAt]);

  if (!grant) {
    if (problem)
      return <PlayerMessage problem={problem} courseHref={courseHref} onTakeOver={takeOver} busy={takingOver} />;
    return (
      <div role="status" aria-label={t('player.loading')} className="mt-6 aspect-video w-full rounded-lg bg-black" />
    );
  }
  const duration = grant.durationSeconds;
  const resume =
    startAt && (!duration || startAt < duration - RESUME_END_MARGIN_SECONDS) && startAt > 0 ? startAt : undefined;
  return (
    <GrantedPlayer
      key={generation}
      grant={grant}
      title={title}
      startAt={resume}
      autoPlay={Boolean(autoPlay) || generation > 0}
      mediaRef={mediaRef}
      onEnded={onEnded}
      onProgress={onProgress}
      problem={problem}
      onProblem={setProblem}
      overlay={
        problem ? (
          <div className="absolute inset-0 flex items-center justify-center bg-black/80 p-4">
            <PlayerMessage problem={problem} courseHref={courseHref} onTakeOver={takeOver} busy={takingOver} dark />
          </div>
        ) : null
      }
    />
  );
}

interface GrantedPlayerProps {
  grant: PlaybackGrant;
  title: string;
  startAt: number | undefined;
  autoPlay: boolean;
  mediaRef: React.RefObject<HlsVideoElement | null>;
  onEnded: (() => void) | undefined;
  onProgress: ((completed: boolean) => void) | undefined;
  problem: Problem | null;
  onProblem: (problem: Problem) => void;
  overlay: React.ReactNode;
}

function GrantedPlayer({
  grant,
  title,
  startAt,
  autoPlay,
  mediaRef,
  onEnded,
  onProgress,
  onProblem,
  overlay,
}: GrantedPlayerProps) {
  const [source, setSource] = useState(grant);
  const callbacks = useRef({ onEnded, onProgress, onProblem });
  useLayoutEffect(() => {
    callbacks.current = { onEnded, onProgress, onProblem };
  });

  // One keeper per session, renewing while the player is mounted. The media element's listeners
  // and hls.js's requests (both set up after this effect has run) reach it through the ref.
  const keeperRef = useRef<PlaybackGrantKeeper | null>(null);
  useEffect(() => {
    const keeper = new PlaybackGrantKeeper(grant, {
      request: (sessionId) => requestPlaybackGrant(grant.lessonId, sessionId),
      classify: troubleOf,
      // New URLs for what loads later (caption tracks, storyboard); hls.js rewrites per request.
      onRenewed: (renewed) => setSource(renewed),
      onTrouble: (trouble) => {
        mediaRef.current?.pause();
        callbacks.current.onProblem(trouble);
      },
    }).start();
    keeperRef.current = keeper;
    return () => keeper.stop();
  }, [grant, mediaRef]);

  const hlsConfig = useMemo<Partial<HlsConfig>>(
    () => ({
      // hls.js would buffer a low-bitrate lecture to its end (up to 10 minutes ahead); 30 s rides
      // out network hiccups without fetching what a student who leaves early never watches.
      maxBufferLength: 30,
      maxMaxBufferLength: 30,
      // Every playlist and segment request carries the newest token, so one fetched an hour into
      // the lecture (or after a night in a background tab) never uses an expired one.
      xhrSetup: async (xhr: XMLHttpRequest, url: string) => {
        const token = (await keeperRef.current?.freshToken()) ?? null;
        xhr.open('GET', token ? withPlaybackToken(url, token) : url, true);
      },
    }),
    [],
  );

  const attach = useCallback(
    (media: HlsVideoElement) => {
      mediaRef.current = media;
      const current = () => keeperRef.current;
      const reporter = new ProgressReporter({
        media,
        sessionId: () => current()?.grant.sessionId ?? null,
        durationSeconds: grant.durationSeconds,
        send: async (report, keepalive) => {
          const result = await sendProgress(grant.lessonId, report, { keepalive });
          callbacks.current.onProgress?.(result.completed);
        },
        onSessionEnded: () => {
          current()?.stop();
          media.pause();
          callbacks.current.onProblem('session_ended');
        },
      });
      const detachReporter = reporter.attach();

      // A tab that slept past the token's expiry renews before it resumes.
      const freshen = () => {
        const keeper = current();
        if (keeper && (keeper.expired || Date.now() >= Date.parse(keeper.grant.renewAt))) void keeper.renew();
      };
      const onVisible = () => {
        if (document.visibilityState === 'visible') freshen();
      };
      // Native HLS (Safari) asks for segments itself with the URL it was given: after expiry a
      // media error is a dead token. Renew and reload at the same time.
      let reloading = false;
      const onMediaError = () => {
        const keeper = current();
        if (media.api || reloading || !keeper) return;
        const at = media.currentTime;
        reloading = true;
        void keeper.renew().then((renewed) => {
          reloading = false;
          if (!renewed) return;
          media.addEventListener(
            'loadedmetadata',
            () => {
              media.currentTime = at;
              media.play().catch(() => undefined);
            },
            { once: true },
          );
          media.src = renewed.hlsUrl;
        });
      };
      const onEnd = () => callbacks.current.onEnded?.();
      media.addEventListener('play', freshen);
      media.addEventListener('error', onMediaError);
      media.addEventListener('ended', onEnd);
      document.addEventListener('visibilitychange', onVisible);

      // hls.js is created a moment after the source is set; watch its fatal errors.
      let recoveredMedia = false;
      const hookHls = window.setTimeout(() => {
        const hls: Hls | null = media.api;
        hls?.on(Events.ERROR, (_event, data) => {
          if (!data.fatal) return;
          if (data.type === ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
            recoveredMedia = true;
            hls.recoverMediaError();
            return;
          }
          callbacks.current.onProblem('load');
        });
      }, 0);
      return () => {
        window.clearTimeout(hookHls);
        detachReporter();
        media.removeEventListener('play', freshen);
        media.removeEventListener('error', onMediaError);
        media.removeEventListener('ended', onEnd);
        document.removeEventListener('visibilitychange', onVisible);
      };
    },
    [grant, mediaRef],
  );

  return (
    <MediaPlayer
      // The first poster stays: a renewed URL of the same image would only load it again.
      source={{ ...source, posterUrl: grant.posterUrl }}
      title={title}
      hlsConfig={hlsConfig}
      startAt={startAt}
      autoPlay={autoPlay}
      preload="auto"
      onMedia={attach}
      overlay={overlay}
    />
  );
}

function PlayerMessage({
  problem,
  courseHref,
  onTakeOver,
  busy,
  dark = false,
}: {
  problem: Problem;
  courseHref: string;
  onTakeOver: () => void;
  busy: boolean;
  dark?: boolean;
}) {
  const { t } = useTranslation();
  const text = {
    session_ended: t('player.sessionEnded'),
    forbidden: t('player.notEnrolled'),
    failed: t('player.renewFailed'),
    not_ready: t('videos.player.processingBody'),
    load: t('player.loadError'),
  }[problem];
  const box = dark ? 'text-white' : 'mt-6 rounded-lg bg-slate-100 p-6 text-slate-800';
  return (
    <div role="alert" className={`max-w-md text-center ${box}`}>
      <p>{text}</p>
      {problem === 'session_ended' && (
        <button type="button" className={`${primaryButton} mt-3`} disabled={busy} onClick={onTakeOver}>
          {t('player.takeOver')}
        </button>
      )}
      {problem === 'forbidden' && (
        <Link to={courseHref} className={`${secondaryButton} mt-3`}>
          {t('player.toCourse')}
        </Link>
      )}
    </div>
  );
}

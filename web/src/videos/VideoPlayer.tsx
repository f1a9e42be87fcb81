import Hls, { ErrorTypes, Events } from 'hls.js';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { session } from '../auth/session';
import { focusRing } from '../components/form';
import type { LessonVideo } from './types';
import { useMediaObjectUrl } from './useMediaObjectUrl';

interface QualityLevel {
  index: number;
  height: number;
  bitrate: number;
}

const AUTO = -1;
const HLS_MIME = 'application/vnd.apple.mpegurl';

/**
 * The interim lesson player (issue 6 brings the full one): HLS through hls.js where Media Source
 * Extensions exist, the browser's own HLS otherwise (Safari, iOS), with a quality menu.
 */
export function VideoPlayer({ video, title }: { video: LessonVideo & { masterUrl: string }; title: string }) {
  const { t } = useTranslation();
  const id = useId();
  const element = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const [levels, setLevels] = useState<QualityLevel[]>([]);
  const [choice, setChoice] = useState(AUTO);
  const [playing, setPlaying] = useState<number | null>(null);
  const [problem, setProblem] = useState<'unsupported' | 'load' | null>(null);
  const poster = useMediaObjectUrl(video.posterUrl);

  useEffect(() => {
    const media = element.current;
    if (!media) return;
    if (Hls.isSupported()) {
      const player = new Hls({
        // Until playback tokens arrive the media route knows the viewer only by the bearer token.
        xhrSetup: (xhr) => {
          const token = session.accessToken;
          if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        },
      });
      hls.current = player;
      let recoveredMedia = false;
      player.on(Events.MANIFEST_PARSED, (_event, data) => {
        setLevels(
          data.levels
            .map((level, index) => ({ index, height: level.height, bitrate: level.bitrate }))
            .sort((a, b) => b.height - a.height || b.bitrate - a.bitrate),
        );
      });
      player.on(Events.LEVEL_SWITCHED, (_event, data) => setPlaying(data.level));
      player.on(Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        // A decoder hiccup is recoverable once; anything else fatal ends playback with a message.
        if (data.type === ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
          recoveredMedia = true;
          player.recoverMediaError();
          return;
        }
        setProblem('load');
        player.destroy();
        if (hls.current === player) hls.current = null;
      });
      player.loadSource(video.masterUrl);
      player.attachMedia(media);
      return () => {
        player.destroy();
        if (hls.current === player) hls.current = null;
      };
    }
    if (media.canPlayType(HLS_MIME)) {
      media.src = video.masterUrl;
      return () => {
        media.removeAttribute('src');
        media.load();
      };
    }
    setProblem('unsupported');
    return undefined;
    // The player is keyed by masterUrl (see LessonVideoArea): a new video is a new component.
  }, [video.masterUrl]);

  function chooseLevel(index: number) {
    setChoice(index);
    if (hls.current) hls.current.currentLevel = index;
  }

  const playingHeight = levels.find((level) => level.index === playing)?.height;
  return (
    <figure className="mt-6">
      <div className="overflow-hidden rounded-lg bg-black">
        <video
          ref={element}
          controls
          playsInline
          preload="metadata"
          poster={poster ?? undefined}
          aria-label={t('videos.player.label', { title })}
          className="aspect-video w-full"
        />
      </div>
      {problem && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {problem === 'unsupported' ? t('videos.player.unsupported') : t('videos.player.loadError')}
        </p>
      )}
      {levels.length > 1 && (
        <div className="mt-2 flex items-center justify-end gap-2 text-sm">
          <label htmlFor={`${id}-quality`} className="text-slate-700">
            {t('videos.player.quality')}
          </label>
          <select
            id={`${id}-quality`}
            value={choice}
            onChange={(event) => chooseLevel(Number(event.target.value))}
            className={`rounded-md border border-slate-300 bg-white px-2 py-1 ${focusRing}`}
          >
            <option value={AUTO}>
              {choice === AUTO && playingHeight
                ? t('videos.player.autoWith', { height: playingHeight })
                : t('videos.player.auto')}
            </option>
            {levels.map((level) => (
              <option key={level.index} value={level.index}>
                {t('videos.player.level', { height: level.height })}
              </option>
            ))}
          </select>
        </div>
      )}
    </figure>
  );
}

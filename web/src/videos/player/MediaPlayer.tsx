import { installShadowStyleAdoption } from './shadow-styles';
import 'media-chrome';
import 'media-chrome/menu';
import 'hls-video-element';
import type { HlsVideoElement } from 'hls-video-element';
import type { HlsConfig } from 'hls.js';
import { addTranslation } from 'media-chrome/dist/utils/i18n.js';
import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaptionTrack } from './api';
import { mediaChromeKo } from './media-chrome-ko';
import { clampRate, RATES, rememberCaptions, rememberedCaptions, rememberedRate, rememberRate } from './preferences';

installShadowStyleAdoption();
addTranslation('ko', mediaChromeKo);

export interface MediaSource {
  hlsUrl: string;
  posterUrl: string | null;
  storyboardUrl: string | null;
  captions: CaptionTrack[];
}

export interface MediaPlayerProps {
  source: MediaSource;
  title: string;
  /** hls.js settings (the lesson player's token-rewriting xhrSetup); read once, at load. */
  hlsConfig?: Partial<HlsConfig>;
  /** Where playback starts (resume), in seconds. */
  startAt?: number;
  /** Starts playing as soon as it can (next-lesson autoplay). */
  autoPlay?: boolean;
  /**
   * `auto` buffers ahead before play (a lesson page is opened to watch it); `metadata` loads only
   * what the controls need (a studio preview).
   */
  preload?: 'auto' | 'metadata';
  /** The element is loading its source: attach listeners (progress, errors). Returns a cleanup. */
  onMedia?: (media: HlsVideoElement) => (() => void) | void;
  /** Messages shown over the video (errors, take-over, next lesson). */
  overlay?: ReactNode;
}

const STORYBOARD = 'storyboard';

/** Each track's URL by caption id (and STORYBOARD). */
function trackUrlsOf(source: MediaSource): Record<string, string> {
  const urls: Record<string, string> = Object.fromEntries(source.captions.map((caption) => [caption.id, caption.url]));
  if (source.storyboardUrl) urls[STORYBOARD] = source.storyboardUrl;
  return urls;
}

/** Whether the text track behind `key` is loaded or showing (mode other than disabled). */
function trackInUse(element: HlsVideoElement, key: string, source: MediaSource): boolean {
  const caption = source.captions.find((entry) => entry.id === key);
  return Array.from(element.textTracks).some((track) =>
    key === STORYBOARD
      ? track.kind === 'metadata' && track.label === 'thumbnails' && track.mode !== 'disabled'
      : caption !== undefined &&
        track.kind === 'subtitles' &&
        track.language === caption.language &&
        track.label === caption.label &&
        track.mode !== 'disabled',
  );
}

/** The index of `captions` to show at start: the remembered language, when this video has it. */
function defaultCaption(captions: CaptionTrack[]): number {
  const remembered = rememberedCaptions();
  if (!remembered || remembered === 'off') return -1;
  const exact = captions.findIndex((caption) => caption.language === remembered);
  if (exact >= 0) return exact;
  const base = remembered.split('-')[0];
  return captions.findIndex((caption) => caption.language.split('-')[0] === base);
}

/**
 * The lecture player's face: media-chrome controls around hls-video-element (hls.js where Media
 * Source Extensions exist, the browser's own HLS elsewhere). Speed, captions, quality, ±10 s,
 * storyboard previews on the seek bar, media-chrome's keyboard shortcuts while it has focus.
 */
export function MediaPlayer({
  source,
  title,
  hlsConfig,
  startAt,
  autoPlay,
  preload = 'metadata',
  onMedia,
  overlay,
}: MediaPlayerProps) {
  const { t, i18n } = useTranslation();
  const hintId = useId();
  const media = useRef<HlsVideoElement | null>(null);
  const controller = useRef<HTMLElement | null>(null);
  const label = t('player.label', { title });
  // media-chrome names its region "video player" when connected; the lesson's title says more.
  useLayoutEffect(() => {
    controller.current?.setAttribute('aria-label', label);
  }, [label]);
  // The first source is the one loaded; a renewed grant changes only the token in its URLs, which
  // the lesson player rewrites per request, so reloading would only interrupt playback.
  const initial = useRef({ source, hlsConfig, startAt, autoPlay, onMedia });
  const [captionDefault] = useState(() => defaultCaption(source.captions));
  const [trackUrls, setTrackUrls] = useState(() => trackUrlsOf(source));

  // A renewed grant signs the caption and storyboard URLs anew. A track in use is reloaded when
  // its src changes, and Chromium holds playback (a `waiting` stall) until a track that was on
  // when loading began has loaded again: so a track in use takes its new URL only while paused;
  // a track not in use takes it at once, so it loads with a live token when it is turned on.
  useEffect(() => {
    const element = media.current;
    if (!element) return;
    const latest = trackUrlsOf(source);
    const apply = () =>
      setTrackUrls((current) => {
        let changed = false;
        const next = { ...current };
        for (const [key, url] of Object.entries(latest)) {
          if (current[key] === url) continue;
          if (current[key] && !element.paused && trackInUse(element, key, source)) continue;
          next[key] = url;
          changed = true;
        }
        return changed ? next : current;
      });
    const timer = window.setTimeout(apply, 0);
    element.addEventListener('pause', apply);
    return () => {
      window.clearTimeout(timer);
      element.removeEventListener('pause', apply);
    };
  }, [source]);

  useEffect(() => {
    const element = media.current;
    if (!element) return;
    const { source: first, hlsConfig: config, startAt: start, autoPlay: play, onMedia: attach } = initial.current;
    let applied = false;
    const onMetadata = () => {
      const rate = rememberedRate();
      element.defaultPlaybackRate = rate;
      element.playbackRate = rate;
      // Native HLS (Safari) ignores hls.js's startPosition: seek once the duration is known.
      if (start && Math.abs(element.currentTime - start) > 1) element.currentTime = start;
      applied = true;
      if (play) element.play().catch(() => undefined);
    };
    const onRate = () => {
      const rate = clampRate(element.playbackRate);
      // media-chrome's `<` key steps down to 0.25x; lectures go no slower than 0.5x.
      if (rate !== element.playbackRate) element.playbackRate = rate;
      else if (applied) rememberRate(rate);
    };
    const onTracks = () => {
      if (!applied) return;
      const showing = Array.from(element.textTracks).find(
        (track) => track.mode === 'showing' && (track.kind === 'subtitles' || track.kind === 'captions'),
      );
      rememberCaptions(showing?.language || 'off');
    };
    element.addEventListener('loadedmetadata', onMetadata, { once: true });
    element.addEventListener('ratechange', onRate);
    element.textTracks.addEventListener('change', onTracks);
    const detach = attach?.(element);
    element.config = { ...config, ...(start ? { startPosition: start } : {}) };
    element.src = first.hlsUrl;
    return () => {
      element.removeEventListener('loadedmetadata', onMetadata);
      element.removeEventListener('ratechange', onRate);
      element.textTracks.removeEventListener('change', onTracks);
      detach?.();
      // Without a source the element destroys its hls.js instance.
      element.removeAttribute('src');
    };
  }, []);

  return (
    <figure className="mt-6">
      <div className="relative overflow-hidden rounded-lg bg-black">
        <media-controller
          ref={controller}
          lang={i18n.language.startsWith('ko') ? 'ko' : 'en'}
          // The shortcuts dialog is English-only; the hint below the player lists them instead.
          hotkeys="noshift+/"
          tabIndex={0}
          role="region"
          aria-label={label}
          aria-describedby={hintId}
          class="lecture-player block aspect-video w-full"
        >
          <hls-video
            ref={media}
            slot="media"
            playsinline=""
            crossorigin="anonymous"
            preload={preload}
            poster={source.posterUrl ?? undefined}
          >
            {source.captions.map((caption, index) => (
              <track
                key={caption.id}
                kind="subtitles"
                src={trackUrls[caption.id] ?? caption.url}
                srcLang={caption.language}
                label={caption.label}
                default={index === captionDefault}
              />
            ))}
            {source.storyboardUrl && (
              <track kind="metadata" label="thumbnails" src={trackUrls[STORYBOARD] ?? source.storyboardUrl} default />
            )}
          </hls-video>
          <media-loading-indicator slot="centered-chrome" noautohide="" />
          <media-playback-rate-menu hidden anchor="auto" rates={RATES.join(' ')} />
          <media-rendition-menu hidden anchor="auto" />
          <media-captions-menu hidden anchor="auto" />
          <media-control-bar class="flex w-full">
            <media-time-range class="min-w-0 flex-1" />
          </media-control-bar>
          <media-control-bar class="flex w-full flex-wrap">
            <media-play-button />
            <media-seek-backward-button seekoffset="10" />
            <media-seek-forward-button seekoffset="10" />
            <media-mute-button />
            <media-volume-range class="hidden sm:inline-flex" />
            <media-time-display showduration="" class="min-w-0 flex-1" />
            <media-captions-menu-button />
            <media-playback-rate-menu-button />
            <media-rendition-menu-button />
            <media-fullscreen-button />
          </media-control-bar>
        </media-controller>
        {overlay}
      </div>
      <figcaption id={hintId} className="mt-2 text-xs text-slate-600">
        {t('player.shortcuts')}
      </figcaption>
    </figure>
  );
}

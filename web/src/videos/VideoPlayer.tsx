import type { HlsConfig } from 'hls.js';
import { useLayoutEffect, useMemo, useRef } from 'react';
import { MediaPlayer } from './player/MediaPlayer';
import { playbackTokenOf, withPlaybackToken } from './player/playback-grant';
import { useMediaObjectUrl } from './useMediaObjectUrl';

export interface VideoPreviewProps {
  /** The studio view's master playlist, signed for the owner. */
  masterUrl: string;
  posterUrl: string | null;
  storyboardUrl: string | null;
  title: string;
}

/**
 * The studio's preview of a ready video: the lecture player in its simple mode (no grant, no
 * progress). The studio view's URLs are signed for the owner; each refetch of the view signs them
 * anew, and requests take the newest token, so a preview left open past an expiry keeps playing.
 */
export function VideoPlayer({ masterUrl, posterUrl, storyboardUrl, title }: VideoPreviewProps) {
  // The poster goes through the session's fetch: it works for a signed URL and for one that still
  // needs the bearer token.
  const poster = useMediaObjectUrl(posterUrl);
  const latest = useRef(masterUrl);
  useLayoutEffect(() => {
    latest.current = masterUrl;
  }, [masterUrl]);
  const hlsConfig = useMemo<Partial<HlsConfig>>(
    () => ({
      xhrSetup: (xhr: XMLHttpRequest, url: string) => {
        const token = playbackTokenOf(latest.current);
        xhr.open('GET', token ? withPlaybackToken(url, token) : url, true);
      },
    }),
    [],
  );
  return (
    <MediaPlayer
      source={{ hlsUrl: masterUrl, posterUrl: poster, storyboardUrl, captions: [] }}
      title={title}
      hlsConfig={hlsConfig}
    />
  );
}

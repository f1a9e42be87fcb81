import { useEffect, useState } from 'react';
import { session } from '../auth/session';

/**
 * A blob: URL of a file under the media route, fetched with the session's bearer token.
 * An <img src> cannot send the token, and until playback tokens arrive (issue 6) an owner's or an
 * enrolled student's poster is only served to a request that carries it.
 */
export function useMediaObjectUrl(url: string | null | undefined): string | null {
  const [loaded, setLoaded] = useState<{ url: string; objectUrl: string } | null>(null);
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    let created: string | null = null;
    void (async () => {
      try {
        const response = await session.fetch(url, { signal: controller.signal, credentials: 'include' });
        if (!response.ok) return;
        const blob = await response.blob();
        if (controller.signal.aborted) return;
        created = URL.createObjectURL(blob);
        setLoaded({ url, objectUrl: created });
      } catch {
        // No poster is a cosmetic loss: the status text next to it still says what matters.
      }
    })();
    return () => {
      controller.abort();
      if (created) URL.revokeObjectURL(created);
    };
  }, [url]);
  return url && loaded?.url === url ? loaded.objectUrl : null;
}

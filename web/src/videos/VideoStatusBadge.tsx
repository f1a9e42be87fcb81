import { useTranslation } from 'react-i18next';
import { statusLabel, statusTone } from './library';
import type { StudioVideo } from './types';

/** A video's state in a word or two ("Processing 42%"), coloured by how it stands. */
export function VideoStatusBadge({ video }: { video: StudioVideo }) {
  const { t } = useTranslation();
  return (
    <span
      data-testid="video-status-badge"
      className={`shrink-0 rounded px-2 py-0.5 text-xs font-bold whitespace-nowrap ${statusTone[video.status]}`}
    >
      {statusLabel(t, video)}
    </span>
  );
}

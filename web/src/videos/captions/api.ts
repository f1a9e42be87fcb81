// A video's captions in the studio (issue 6): list, upload (WebVTT or SRT text) and delete.
import { request } from '../../catalog/api';

export interface StudioCaption {
  id: string;
  /** BCP 47 tag, one caption per language and video. */
  language: string;
  label: string;
  sourceFormat: 'vtt' | 'srt';
  sizeBytes: number;
  cueCount: number;
  createdAt: string;
}

export interface CaptionUpload {
  language: string;
  label: string;
  /** The file's text; the server converts SRT to WebVTT. */
  content: string;
}

const segment = encodeURIComponent;
const captionsPath = (videoId: string) => `/studio/videos/${segment(videoId)}/captions`;

export async function fetchCaptions(videoId: string, signal?: AbortSignal): Promise<StudioCaption[]> {
  return (await request<{ items: StudioCaption[] }>('GET', captionsPath(videoId), { signal })).items;
}

export const uploadCaption = (videoId: string, body: CaptionUpload) =>
  request<StudioCaption>('POST', captionsPath(videoId), { body });

export const deleteCaption = (videoId: string, captionId: string) =>
  request<void>('DELETE', `${captionsPath(videoId)}/${segment(captionId)}`);

export const captionKeys = {
  captions: (videoId: string) => ['studio', 'video', videoId, 'captions'] as const,
};

// A video's captions in the studio (issue 6): list, upload (WebVTT or SRT text) and delete.
import type { components, paths } from '../../api/schema';
import { request } from '../../catalog/api';

type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;

/** One caption per language (BCP 47 tag) and video. */
export type StudioCaption = components['schemas']['VideoCaption'];
/** Body of POST /studio/videos/:id/captions; `content` is the file's text, the server converts SRT to WebVTT. */
export type CaptionUpload = JsonBody<paths['/api/v1/studio/videos/{videoId}/captions']['post']>;

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

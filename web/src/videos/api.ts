// The studio video API (issue 5): resumable uploads and the videos they become.
import { request } from '../catalog/api';
import type { Page } from '../catalog/types';
import type { VideoListStatus } from './library';
import type { PartUrl, StartUploadRequest, StartUploadResult, StudioVideo, UploadSession, UploadedPart } from './types';

const segment = encodeURIComponent;

export const startVideoUpload = (body: StartUploadRequest) =>
  request<StartUploadResult>('POST', '/studio/videos/uploads', { body });
export const fetchPartUrls = (videoId: string, partNumbers: number[]) =>
  request<{ urls: PartUrl[] }>('POST', `/studio/videos/${segment(videoId)}/upload/part-urls`, {
    body: { partNumbers },
  });
export const reportUploadedPart = (videoId: string, part: UploadedPart) =>
  request<void>('POST', `/studio/videos/${segment(videoId)}/upload/parts`, { body: part });
export const fetchUploadSession = (videoId: string, signal?: AbortSignal) =>
  request<UploadSession>('GET', `/studio/videos/${segment(videoId)}/upload`, { signal });
export const completeVideoUpload = (videoId: string) =>
  request<StudioVideo>('POST', `/studio/videos/${segment(videoId)}/upload/complete`);
export const abortVideoUpload = (videoId: string) =>
  request<void>('DELETE', `/studio/videos/${segment(videoId)}/upload`);
export const fetchStudioVideo = (videoId: string, signal?: AbortSignal) =>
  request<StudioVideo>('GET', `/studio/videos/${segment(videoId)}`, { signal });
export const fetchStudioVideos = (
  query: { page: number; pageSize?: number; status?: VideoListStatus | undefined },
  signal?: AbortSignal,
) => request<Page<StudioVideo>>('GET', '/studio/videos', { query, signal });
export const deleteStudioVideo = (videoId: string) => request<void>('DELETE', `/studio/videos/${segment(videoId)}`);

export const videoKeys = {
  video: (id: string) => ['studio', 'video', id] as const,
  /** Every page of the library; `videos(query)` is one of them. */
  allVideos: ['studio', 'videos'] as const,
  videos: (query: object) => ['studio', 'videos', query] as const,
};

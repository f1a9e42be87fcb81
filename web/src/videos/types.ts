// Shapes of the studio video API (issue 5, docs/design/video-api.md), taken from the schema
// generated from the server's OpenAPI document (npm run api:gen), like web/src/catalog/types.ts.
import type { components, paths } from '../api/schema';

type Schemas = components['schemas'];
type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;

export type StudioVideo = Schemas['StudioVideo'];
export type VideoStatus = StudioVideo['status'];
export type Rendition = StudioVideo['renditions'][number];
export type UploadedPart = Schemas['UploadedPart'];
export type UploadSession = Schemas['VideoUploadState'];
export type StartUploadResult = Schemas['VideoUploadStarted'];
export type PartUrl = Schemas['VideoPartUrls']['urls'][number];
export type LessonVideo = Schemas['LessonVideo'];

/** Body of POST /studio/videos/uploads. */
export type StartUploadRequest = JsonBody<paths['/api/v1/studio/videos/uploads']['post']>;

/** Why the pipeline refused a file; anything else the server sends is shown as a generic failure. */
export const VIDEO_FAILURE_CODES = [
  'empty_file',
  'not_media',
  'image_file',
  'no_video_stream',
  'corrupt',
  'duration_too_long',
  'resolution_too_high',
  'processing_error',
] as const;
export type VideoFailureCode = (typeof VIDEO_FAILURE_CODES)[number];

import type { MailMessage } from '../../platform/mail/port.js';
import type { MediaRejectionCode } from '../../platform/media/video/types.js';

/** Video mails: Korean first, then English, whatever the locale, since a mail may be forwarded. */
type Mail = Omit<MailMessage, 'to'>;

/** Every reason a video ends `failed`: the probe's refusals and a transcode that kept failing. */
export type VideoFailureCode = MediaRejectionCode | 'processing_error';

interface Reason {
  ko: string;
  en: string;
}

/**
 * One sentence per code and language, for the mail. The row's failureMessage keeps the probe's own
 * (English, often more specific) sentence; the studio translates the code itself.
 */
export const VIDEO_FAILURE_REASONS: Record<VideoFailureCode, Reason> = {
  empty_file: {
    ko: '파일이 비어 있습니다 (0바이트). 원본 파일을 다시 올려 주세요.',
    en: 'The file is empty (0 bytes). Please upload the original file again.',
  },
  not_media: {
    ko: '동영상 파일이 아닙니다. MP4, MOV, MKV, WebM 같은 동영상 파일을 올려 주세요.',
    en: 'This is not a video file. Please upload a video such as MP4, MOV, MKV or WebM.',
  },
  image_file: {
    ko: '이미지 파일입니다. 강의를 MP4, MOV, WebM 같은 동영상 파일로 올려 주세요.',
    en: 'This file is an image, not a video. Please upload the lecture as a video file such as MP4, MOV or WebM.',
  },
  no_video_stream: {
    ko: '파일에 영상이 없습니다 (소리만 있거나 이미지입니다). 화면이 있는 동영상을 올려 주세요.',
    en: 'The file has no picture (it is audio only or a still image). Please upload a video with a picture.',
  },
  corrupt: {
    ko: '파일이 손상되었거나 중간에 잘려 있습니다. 원본을 다시 내보내거나 업로드를 처음부터 다시 해 주세요.',
    en: 'The file is damaged or cut off. Please export the original again or restart the upload.',
  },
  duration_too_long: {
    ko: '영상이 허용된 최대 길이보다 깁니다. 여러 개의 레슨으로 나누어 올려 주세요.',
    en: 'The video is longer than the maximum allowed. Please split it into several lessons.',
  },
  resolution_too_high: {
    ko: '영상의 해상도가 허용된 최대값보다 큽니다. 4K 이하로 내보내 주세요.',
    en: 'The video resolution is above the maximum allowed. Please export it at 4K or lower.',
  },
  processing_error: {
    ko: '여러 번 시도했지만 영상을 변환하지 못했습니다. 다시 업로드하거나 관리자에게 재처리를 요청해 주세요.',
    en: 'The video could not be converted after several tries. Please upload it again or ask an administrator to retry.',
  },
};

export function failureMessage(code: VideoFailureCode): string {
  return VIDEO_FAILURE_REASONS[code].en;
}

export interface VideoMailRecipient {
  displayName: string;
  email: string;
}

/** A user's file name in a subject line: no control characters (header injection), not endless. */
function shown(filename: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const clean = filename.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

export function videoReadyMail(name: string, originalFilename: string, studioLink: string): Mail {
  const filename = shown(originalFilename);
  return {
    subject: `Lectio 동영상 처리 완료 / Your video is ready: ${filename}`,
    text: [
      `${name}님, 안녕하세요.`,
      `"${filename}" 동영상이 처리되어 재생할 수 있습니다. 스튜디오에서 레슨에 연결하세요:`,
      studioLink,
      '',
      `Hello ${name},`,
      `your video "${filename}" has been processed and is ready to play. Attach it to a lesson in the studio:`,
      studioLink,
    ].join('\n'),
  };
}

export function videoFailedMail(
  name: string,
  originalFilename: string,
  code: VideoFailureCode,
  studioLink: string,
  /** The row's sentence, when more specific than the generic English one (limits with numbers). */
  englishDetail?: string,
): Mail {
  const filename = shown(originalFilename);
  const reason = { ...VIDEO_FAILURE_REASONS[code], ...(englishDetail ? { en: englishDetail } : {}) };
  return {
    subject: `Lectio 동영상 처리 실패 / Your video could not be processed: ${filename}`,
    text: [
      `${name}님, 안녕하세요.`,
      `"${filename}" 동영상을 처리하지 못했습니다.`,
      `이유: ${reason.ko}`,
      studioLink,
      '',
      `Hello ${name},`,
      `your video "${filename}" could not be processed.`,
      `Reason: ${reason.en}`,
      studioLink,
    ].join('\n'),
  };
}

/** Where the instructor manages the video (the studio's video page). */
export function studioVideoLink(publicUrl: string, videoId: string): string {
  return `${publicUrl}/studio/videos/${videoId}`;
}

/** Sends the pipeline's mails through the notifications queue (medium priority, retried). */
export class VideoMailer {
  constructor(
    private readonly notifications: {
      sendEmail(message: MailMessage, options?: { dedupeKey?: string }): Promise<string>;
    },
    private readonly owners: { owner(ownerId: string): Promise<VideoMailRecipient | undefined> },
    private readonly publicUrl: string,
  ) {}

  /** Keyed by the version: a handler re-run after the publish cannot mail twice for one result. */
  async ready(video: { id: string; ownerId: string; originalFilename: string }, version: string): Promise<void> {
    const owner = await this.owners.owner(video.ownerId);
    if (!owner) return;
    const mail = videoReadyMail(owner.displayName, video.originalFilename, studioVideoLink(this.publicUrl, video.id));
    await this.notifications.sendEmail(
      { to: [owner.email], ...mail },
      { dedupeKey: `video-ready:${video.id}:${version}` },
    );
  }

  async failed(
    video: { id: string; ownerId: string; originalFilename: string },
    code: VideoFailureCode,
    message: string,
    runVersion: string,
  ): Promise<void> {
    const owner = await this.owners.owner(video.ownerId);
    if (!owner) return;
    const mail = videoFailedMail(
      owner.displayName,
      video.originalFilename,
      code,
      studioVideoLink(this.publicUrl, video.id),
      message,
    );
    await this.notifications.sendEmail(
      { to: [owner.email], ...mail },
      { dedupeKey: `video-failed:${video.id}:${runVersion}` },
    );
  }
}

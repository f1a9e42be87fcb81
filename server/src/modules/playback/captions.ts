import { build, parse } from 'subsrt-ts';
import { AppError } from '../app-error.js';

/**
 * Reading instructors' caption files: WebVTT kept as written, SRT converted to WebVTT (the only
 * format browsers' text tracks read). Everything that would make a player show nothing, or the
 * wrong thing at the wrong time, is refused here with a reason the studio can show.
 */

export const MAX_CAPTION_BYTES = 1024 * 1024;
export const MAX_CAPTION_CUES = 5000;
/** BCP 47 as players use it: a primary language, then subtags (`ko`, `en`, `pt-BR`, `zh-Hant`). */
export const CAPTION_LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** A cue may end this long after the video does: encoders round the last frame's time. */
const END_SLACK_MS = 1000;

export type CaptionProblem =
  | 'empty'
  | 'too_large'
  | 'unknown_format'
  | 'unreadable_block'
  | 'no_cues'
  | 'too_many_cues'
  | 'cue_order'
  | 'cue_beyond_video'
  | 'bad_language';

export function captionInvalid(reason: CaptionProblem, message: string, details: Record<string, unknown> = {}) {
  return new AppError(422, 'caption_invalid', message, { reason, ...details });
}

export interface ParsedCaptions {
  /** The file as stored and served: WebVTT, LF line endings, no byte-order mark. */
  vtt: string;
  sourceFormat: 'vtt' | 'srt';
  cueCount: number;
}

type Caption = ReturnType<typeof parse>[number];
type ContentCaption = Extract<Caption, { type: 'caption' }>;
const isCue = (c: Caption): c is ContentCaption => c.type === 'caption';

/** "WEBVTT" alone on the first line, or followed by a space or tab and a title. */
const VTT_SIGNATURE = /^WEBVTT(?:[ \t][^\n]*)?(?:\n|$)/;
/** An SRT cue: a number, then a timing line. */
const SRT_START = /^\d+\n\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}[ \t]*-->/;

function timeOf(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = (ms / 1000) % 60;
  return `${h}:${String(m).padStart(2, '0')}:${s.toFixed(3).padStart(6, '0')}`;
}

/**
 * SRT text as WebVTT cue text: SRT's own markup (`<font>`, `{\an8}`) means nothing to WebVTT and
 * goes, italics, bold and underline stay; a bare `&` or `<`, or an arrow that would read as a timing
 * line, is escaped.
 */
function srtTextToVtt(text: string): string {
  return text
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/<(?!\/?[ibu]>)[^>]*>/gi, '')
    .replace(/<(\/?)([IBU])>/g, (_m, slash: string, tag: string) => `<${slash}${tag.toLowerCase()}>`)
    .replace(/&(?![a-zA-Z]+;|#[0-9]+;)/g, '&amp;')
    .replace(/<(?!\/?[ibu]>)/g, '&lt;')
    .replace(/-->/g, '--&gt;')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .join('\n');
}

/**
 * Checks and converts one caption file. `durationSeconds` (when the video's is known) bounds the
 * cue times. Throws 422 `caption_invalid` with `details.reason` (a CaptionProblem).
 */
export function readCaptionFile(content: string, durationSeconds: number | null): ParsedCaptions {
  if (Buffer.byteLength(content, 'utf8') > MAX_CAPTION_BYTES) {
    throw captionInvalid('too_large', 'A caption file may be at most 1 MiB.', { maxBytes: MAX_CAPTION_BYTES });
  }
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!text.trim()) throw captionInvalid('empty', 'The caption file is empty.');

  const trimmed = text.trimStart();
  const sourceFormat = VTT_SIGNATURE.test(text) ? 'vtt' : SRT_START.test(trimmed) ? 'srt' : undefined;
  if (!sourceFormat) {
    throw captionInvalid(
      'unknown_format',
      'This is neither WebVTT (which starts with the line "WEBVTT") nor SRT (numbered cues with times like 00:00:01,000 --> 00:00:02,500).',
    );
  }

  // Block by block, so a block the parser cannot read is named instead of silently dropped.
  const blocks = (sourceFormat === 'srt' ? trimmed : text).split(/\n[ \t]*\n/).filter((b) => b.trim());
  const unreadable = (index: number) =>
    captionInvalid('unreadable_block', `Block ${index + 1} is not a cue this format allows.`, {
      block: index + 1,
      text: (blocks[index] ?? '').trim().split('\n').slice(0, 2).join(' / ').slice(0, 120),
    });
  const cues: ContentCaption[] = [];
  blocks.forEach((block, index) => {
    if (sourceFormat === 'vtt' && index === 0) {
      // The header block: "WEBVTT" and header lines; a cue needs a blank line before it.
      if (block.includes('-->')) throw unreadable(index);
      return;
    }
    // Comments, styles and regions are WebVTT's own, kept as written; they are not cues.
    if (sourceFormat === 'vtt' && /^(NOTE|STYLE|REGION)(?:[ \t\n]|$)/.test(block.trim())) {
      if (block.includes('-->')) throw unreadable(index);
      return;
    }
    // The trailing newline lets a cue without text through (the parsers want a line after the times).
    const read = parse(`${block.trim()}\n`, { format: sourceFormat, eol: '\n' });
    if (read.length !== 1) throw unreadable(index);
    const [entry] = read;
    if (entry && isCue(entry)) cues.push(entry);
  });

  if (!cues.length) throw captionInvalid('no_cues', 'The caption file has no cues.');
  if (cues.length > MAX_CAPTION_CUES) {
    throw captionInvalid('too_many_cues', `A caption file may have at most ${MAX_CAPTION_CUES} cues.`, {
      cues: cues.length,
      maxCues: MAX_CAPTION_CUES,
    });
  }
  const limitMs = durationSeconds === null ? Infinity : Math.round(durationSeconds * 1000) + END_SLACK_MS;
  let previousStart = 0;
  cues.forEach((cue, index) => {
    const at = { cue: index + 1, start: timeOf(cue.start), end: timeOf(cue.end) };
    if (cue.end <= cue.start) {
      throw captionInvalid('cue_order', `Cue ${index + 1} ends before it starts.`, at);
    }
    if (cue.start < previousStart) {
      throw captionInvalid('cue_order', `Cue ${index + 1} starts before the cue above it.`, at);
    }
    if (cue.end > limitMs) {
      throw captionInvalid('cue_beyond_video', `Cue ${index + 1} ends after the video does.`, {
        ...at,
        videoDurationSeconds: durationSeconds,
      });
    }
    previousStart = cue.start;
  });

  if (sourceFormat === 'vtt') {
    return { vtt: text.endsWith('\n') ? text : `${text}\n`, sourceFormat, cueCount: cues.length };
  }
  const vtt = build(
    cues.map((cue) => ({ ...cue, text: srtTextToVtt(cue.content) })),
    { format: 'vtt', eol: '\n' },
  );
  return { vtt, sourceFormat, cueCount: cues.length };
}

/** 422 `caption_invalid` (reason `bad_language`) unless the tag is one players understand. */
export function assertCaptionLanguage(language: string): void {
  if (!CAPTION_LANGUAGE.test(language) || language.length > 35) {
    throw captionInvalid('bad_language', 'The language must be a tag such as "ko", "en" or "pt-BR".', { language });
  }
}

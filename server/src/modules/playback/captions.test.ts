import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.js';
import { assertCaptionLanguage, readCaptionFile } from './captions.js';

function reasonOf(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, ...error.details };
    throw error;
  }
  return 'accepted';
}

describe('caption files', () => {
  it('converts SRT to WebVTT, keeping italics and dropping SRT-only markup', () => {
    const srt =
      '\uFEFF1\r\n00:00:01,000 --> 00:00:03,500\r\n<i>Hi</i> & <font color="red">you</font>\r\n\r\n2\r\n00:00:04,250 --> 00:00:05,000\r\n{\\an8}Top --> bottom\r\nline two\r\n';
    expect(readCaptionFile(srt, 10)).toEqual({
      sourceFormat: 'srt',
      cueCount: 2,
      vtt:
        'WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500\n<i>Hi</i> &amp; you\n\n' +
        '2\n00:00:04.250 --> 00:00:05.000\nTop --&gt; bottom\nline two\n\n',
    });
  });

  it('keeps WebVTT as written (notes, styles, cue settings), only normalising line ends', () => {
    const vtt =
      'WEBVTT - Lecture 1\r\n\r\nNOTE made by hand\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n\r\nintro\r\n00:01.000 --> 00:02.000 line:0 align:start\r\nHello\r\n\r\n00:00:02.500 --> 00:00:03.000\r\n';
    const read = readCaptionFile(vtt, 3);
    expect(read).toMatchObject({ sourceFormat: 'vtt', cueCount: 2 });
    expect(read.vtt).toBe(vtt.replace(/\r\n/g, '\n'));
  });

  it('names what is wrong', () => {
    expect(reasonOf(() => readCaptionFile('WEBVTT\n\nNOTE only a note\n', 10))).toMatchObject({ reason: 'no_cues' });
    expect(
      reasonOf(() => readCaptionFile('WEBVTT\n\n00:03.000 --> 00:04.000\na\n\n00:02.000 --> 00:05.000\nb\n', 10)),
    ).toMatchObject({
      code: 'caption_invalid',
      reason: 'cue_order',
      cue: 2,
    });
    // Up to one second past the end is rounding; more is a file for another video.
    expect(reasonOf(() => readCaptionFile('WEBVTT\n\n00:09.000 --> 00:10.900\na\n', 10))).toBe('accepted');
    expect(reasonOf(() => readCaptionFile('WEBVTT\n\n00:09.000 --> 00:11.100\na\n', 10))).toMatchObject({
      reason: 'cue_beyond_video',
    });
    // Unknown duration (still processing): only the order is checked.
    expect(reasonOf(() => readCaptionFile('WEBVTT\n\n10:00:00.000 --> 10:00:01.000\na\n', null))).toBe('accepted');
    const manyInOrder = `WEBVTT\n\n${Array.from({ length: 5001 }, (_, i) => `${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000 --> ${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.500\nx\n`).join('\n')}`;
    expect(reasonOf(() => readCaptionFile(manyInOrder, null))).toMatchObject({ reason: 'too_many_cues', cues: 5001 });
  });

  it('accepts BCP 47 tags players understand, and nothing else', () => {
    for (const tag of ['ko', 'en', 'pt-BR', 'zh-Hant', 'yue']) expect(() => assertCaptionLanguage(tag)).not.toThrow();
    for (const tag of ['EN', 'english', 'en_US', 'k', 'en-', '']) {
      expect(
        reasonOf(() => assertCaptionLanguage(tag)),
        tag,
      ).toMatchObject({ reason: 'bad_language' });
    }
  });
});

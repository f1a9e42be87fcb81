import { describe, expect, it } from 'vitest';
import { fitText, wrapText, type MeasureText } from './layout.js';

/** A monospaced stand-in: every character is half the font size wide. */
const mono: MeasureText = (text, size) => Array.from(text).length * size * 0.5;

describe('certificate text layout', () => {
  it('wraps at spaces, keeping as many words per line as fit', () => {
    // 10 pt: 5 pt per character, 60 pt = 12 characters per line.
    expect(wrapText('입문자를 위한 파이썬 데이터 분석 실전', mono, 10, 60)).toEqual([
      '입문자를 위한 파이썬',
      '데이터 분석 실전',
    ]);
    expect(wrapText('  spaced   out\ttext ', mono, 10, 60)).toEqual(['spaced out', 'text']);
    expect(wrapText('   ', mono, 10, 60)).toEqual([]);
  });

  it('breaks a word longer than the line between characters instead of overflowing', () => {
    const lines = wrapText('https://lectio.example/certificates/LC-7K3M-9QXA-2BDF', mono, 10, 60);
    expect(lines.join('')).toBe('https://lectio.example/certificates/LC-7K3M-9QXA-2BDF');
    for (const line of lines) expect(mono(line, 10)).toBeLessThanOrEqual(60);
    expect(lines).toHaveLength(5);
  });

  it('keeps the largest size that fits, and shrinks a long text until it does', () => {
    const options = { maxWidth: 100, maxLines: 1, maxSize: 20, minSize: 8 };
    expect(fitText('김하늘', mono, options)).toEqual({ fontSize: 20, lines: ['김하늘'], truncated: false });
    // 20 characters need size ≤ 10 to fit 100 pt on one line.
    expect(fitText('Maximilian von Haben', mono, options)).toEqual({
      fontSize: 10,
      lines: ['Maximilian von Haben'],
      truncated: false,
    });
  });

  it('uses the allowed lines before shrinking further', () => {
    const fitted = fitText('one two three four five six', mono, {
      maxWidth: 100,
      maxLines: 2,
      maxSize: 20,
      minSize: 8,
    });
    expect(fitted.lines).toHaveLength(2);
    expect(fitted.truncated).toBe(false);
    for (const line of fitted.lines) expect(mono(line, fitted.fontSize)).toBeLessThanOrEqual(100);
    expect(fitted.lines.join(' ')).toBe('one two three four five six');
  });

  it('cuts what does not fit even at the smallest size, and says so with an ellipsis', () => {
    const text = '가'.repeat(100);
    const fitted = fitText(text, mono, { maxWidth: 100, maxLines: 2, maxSize: 20, minSize: 10 });
    expect(fitted.fontSize).toBe(10);
    expect(fitted.truncated).toBe(true);
    expect(fitted.lines).toHaveLength(2);
    expect(fitted.lines[0]).toBe('가'.repeat(20));
    expect(fitted.lines[1]).toBe(`${'가'.repeat(19)}…`);
    for (const line of fitted.lines) expect(mono(line, 10)).toBeLessThanOrEqual(100);
  });
});

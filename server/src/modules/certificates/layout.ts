/** Width in points of `text` set at `fontSize` in the font being laid out. */
export type MeasureText = (text: string, fontSize: number) => number;

export interface FitOptions {
  maxWidth: number;
  maxLines: number;
  /** The size used when the text fits at it; the layout shrinks from here. */
  maxSize: number;
  /** Below this a certificate stops being legible: the text is cut with an ellipsis instead. */
  minSize: number;
  /** How much each try shrinks; 1 pt by default. */
  step?: number;
}

export interface FittedText {
  fontSize: number;
  lines: string[];
  /** True when even the smallest size did not hold it all and the last line ends in "…". */
  truncated: boolean;
}

const ELLIPSIS = '…';

/**
 * Greedy line breaking at spaces (Korean puts spaces between words too). A word wider than the
 * line, such as a long title with no spaces or a URL, is broken between characters: a
 * certificate must never print past its border. Line widths are sums of word widths, so each
 * distinct word is measured once however many sizes and lines are tried (shaping is slow).
 */
export function wrapText(text: string, measure: MeasureText, fontSize: number, maxWidth: number): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const space = measure(' ', fontSize);
  const lines: string[] = [];
  let line = '';
  let width = 0;
  for (const word of words) {
    const wordWidth = measure(word, fontSize);
    if (line && width + space + wordWidth <= maxWidth) {
      line += ` ${word}`;
      width += space + wordWidth;
      continue;
    }
    if (line) lines.push(line);
    if (wordWidth <= maxWidth) {
      line = word;
      width = wordWidth;
      continue;
    }
    line = '';
    width = 0;
    // Code points, not UTF-16 units, so a character outside the BMP is never split in two.
    for (const char of Array.from(word)) {
      const charWidth = measure(char, fontSize);
      if (line && width + charWidth > maxWidth) {
        lines.push(line);
        line = '';
        width = 0;
      }
      line += char;
      width += charWidth;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The largest size (from maxSize down to minSize) at which `text` wraps into at most maxLines
 * lines of maxWidth. What does not fit even at minSize is cut, with an ellipsis that says so.
 */
export function fitText(text: string, measure: MeasureText, options: FitOptions): FittedText {
  const step = options.step ?? 1;
  for (let size = options.maxSize; size >= options.minSize; size -= step) {
    const lines = wrapText(text, measure, size, options.maxWidth);
    if (lines.length <= options.maxLines) return { fontSize: size, lines, truncated: false };
  }
  const size = options.minSize;
  const lines = wrapText(text, measure, size, options.maxWidth);
  const kept = lines.slice(0, options.maxLines - 1);
  // The last line takes what it can of the rest, character by character, and the ellipsis.
  let last = '';
  let width = measure(ELLIPSIS, size);
  for (const char of Array.from(lines.slice(options.maxLines - 1).join(' '))) {
    const charWidth = measure(char, size);
    if (width + charWidth > options.maxWidth) break;
    last += char;
    width += charWidth;
  }
  kept.push(last.trimEnd() + ELLIPSIS);
  return { fontSize: size, lines: kept, truncated: true };
}

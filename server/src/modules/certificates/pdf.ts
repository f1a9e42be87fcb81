import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { fitText, type FitOptions, type MeasureText } from './layout.js';

/**
 * The certificate PDF, framework-free: data in, bytes out. Text is set in Pretendard (OFL), which
 * has every Hangul syllable; pdfkit embeds only the glyphs used, so a certificate stays a few
 * dozen kilobytes and prints the same on a machine without Korean fonts.
 */

export interface CertificateContent {
  code: string;
  studentName: string;
  courseTitle: string;
  instructorName: string;
  completedAt: Date;
  verifyUrl: string;
}

export interface RenderOptions {
  /** The printed date is the completion day in this zone. */
  timeZone: string;
}

/** Korea's day by default: where the platform and most of its students are. */
export const CERTIFICATE_TIME_ZONE = 'Asia/Seoul';

/** A4 landscape, in points. */
export const PAGE = { width: 841.89, height: 595.28 } as const;

/**
 * Where the student's name is set, in points from the top left: the tests look for its ink in
 * exactly this box, and everything else on the page stays outside it.
 */
export const NAME_BOX = { x: 100, y: 206, width: PAGE.width - 200, height: 58 } as const;
const NAME_FIT: FitOptions = { maxWidth: NAME_BOX.width, maxLines: 1, maxSize: 38, minSize: 16 };
const TITLE_BOX = { x: 110, y: 318, width: PAGE.width - 220, height: 66 } as const;
const TITLE_FIT: FitOptions = { maxWidth: TITLE_BOX.width, maxLines: 2, maxSize: 24, minSize: 12 };
const DETAILS = { x: 96, y: 414, width: 470 } as const;
const QR = { size: 104, right: PAGE.width - 96, y: 414 } as const;

const INK = '#0f172a';
const MUTED = '#475569';
const ACCENT = '#3730a3';

interface Fonts {
  regular: Buffer;
  bold: Buffer;
}

let fonts: Promise<Fonts> | undefined;

/** The font files, read once per process (they are a few megabytes; each PDF embeds a subset). */
function loadFonts(): Promise<Fonts> {
  fonts ??= (async () => {
    const root = path.dirname(createRequire(import.meta.url).resolve('pretendard/package.json'));
    // The TrueType builds: pdfkit subsets TrueType outlines more reliably than the CFF .otf files.
    const dir = path.join(root, 'dist/public/static/alternative');
    const [regular, bold] = await Promise.all([
      readFile(path.join(dir, 'Pretendard-Regular.ttf')),
      readFile(path.join(dir, 'Pretendard-Bold.ttf')),
    ]);
    return { regular, bold };
  })();
  fonts.catch(() => {
    fonts = undefined;
  });
  return fonts;
}

/** "2026년 11월 26일" and "November 26, 2026": the day in both languages the certificate speaks. */
export function certificateDates(at: Date, timeZone: string): { ko: string; en: string } {
  return {
    ko: new Intl.DateTimeFormat('ko-KR', { dateStyle: 'long', timeZone }).format(at),
    en: new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone }).format(at),
  };
}

export async function renderCertificatePdf(
  content: CertificateContent,
  options: RenderOptions = { timeZone: CERTIFICATE_TIME_ZONE },
): Promise<Buffer> {
  const { regular, bold } = await loadFonts();
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    // Fixed metadata (no "now"), so rendering the same certificate twice gives the same page.
    info: {
      Title: `수료증 / Certificate of Completion ${content.code}`,
      Author: 'Lectio',
      Subject: content.courseTitle,
      CreationDate: content.completedAt,
    },
    lang: 'ko',
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);
  // Widths scale with the size: each string is shaped once, at 1 pt, and reused at every size tried.
  const widths = { regular: new Map<string, number>(), bold: new Map<string, number>() };
  const measure =
    (font: 'regular' | 'bold'): MeasureText =>
    (text, size) => {
      let width = widths[font].get(text);
      if (width === undefined) {
        width = doc.font(font).fontSize(1).widthOfString(text);
        widths[font].set(text, width);
      }
      return width * size;
    };

  /** One line at (x, y), centred on `centerX` when given; never wrapped by pdfkit itself. */
  const line = (
    text: string,
    at: { x?: number; centerX?: number; y: number },
    style: { font: 'regular' | 'bold'; size: number; color: string; characterSpacing?: number },
  ) => {
    doc.font(style.font).fontSize(style.size).fillColor(style.color);
    const spacing = style.characterSpacing ?? 0;
    const width = doc.widthOfString(text, { characterSpacing: spacing });
    const x = at.centerX !== undefined ? at.centerX - width / 2 : (at.x ?? 0);
    doc.text(text, x, at.y, { lineBreak: false, characterSpacing: spacing });
  };
  const centerX = PAGE.width / 2;

  // Frame: a strong outer rule and a hairline inside it.
  doc
    .lineWidth(3)
    .strokeColor(ACCENT)
    .rect(24, 24, PAGE.width - 48, PAGE.height - 48)
    .stroke();
  doc
    .lineWidth(0.75)
    .strokeColor(ACCENT)
    .rect(34, 34, PAGE.width - 68, PAGE.height - 68)
    .stroke();

  line('LECTIO', { centerX, y: 62 }, { font: 'bold', size: 11, color: ACCENT, characterSpacing: 4 });
  line('수료증', { centerX, y: 84 }, { font: 'bold', size: 40, color: INK, characterSpacing: 8 });
  line('Certificate of Completion', { centerX, y: 138 }, { font: 'regular', size: 18, color: MUTED });
  doc
    .lineWidth(1)
    .strokeColor(ACCENT)
    .moveTo(centerX - 60, 172)
    .lineTo(centerX + 60, 172)
    .stroke();
  line('수료자 · This certifies that', { centerX, y: 184 }, { font: 'regular', size: 11, color: MUTED });

  // The name, as large as fits on one line, centred in its box.
  const name = fitText(content.studentName, measure('bold'), NAME_FIT);
  for (const text of name.lines) {
    const y = NAME_BOX.y + (NAME_BOX.height - name.fontSize * 1.2) / 2;
    line(text, { centerX, y }, { font: 'bold', size: name.fontSize, color: INK });
  }

  line(
    '위 사람은 다음 과정을 성실히 이수하였기에 이 증서를 수여합니다.',
    { centerX, y: 272 },
    { font: 'regular', size: 12, color: INK },
  );
  line('has successfully completed the course', { centerX, y: 292 }, { font: 'regular', size: 11, color: MUTED });

  const title = fitText(content.courseTitle, measure('bold'), TITLE_FIT);
  const titleLineHeight = title.fontSize * 1.25;
  let titleY = TITLE_BOX.y + (TITLE_BOX.height - titleLineHeight * title.lines.length) / 2;
  for (const text of title.lines) {
    line(text, { centerX, y: titleY }, { font: 'bold', size: title.fontSize, color: ACCENT });
    titleY += titleLineHeight;
  }

  const dates = certificateDates(content.completedAt, options.timeZone);
  const details: [label: string, value: string, fit: FitOptions][] = [
    ['강사 · Instructor', content.instructorName, { maxWidth: DETAILS.width, maxLines: 1, maxSize: 13, minSize: 8 }],
    [
      '수료일 · Date of completion',
      `${dates.ko} · ${dates.en}`,
      { maxWidth: DETAILS.width, maxLines: 1, maxSize: 13, minSize: 8 },
    ],
    ['증서 번호 · Certificate ID', content.code, { maxWidth: DETAILS.width, maxLines: 1, maxSize: 13, minSize: 8 }],
    [
      '진위 확인 · Verify at',
      content.verifyUrl,
      { maxWidth: DETAILS.width, maxLines: 2, maxSize: 10, minSize: 6, step: 0.5 },
    ],
  ];
  let y = DETAILS.y;
  for (const [label, value, fit] of details) {
    line(label, { x: DETAILS.x, y }, { font: 'regular', size: 8.5, color: MUTED });
    y += 12;
    const fitted = fitText(value, measure('regular'), fit);
    for (const text of fitted.lines) {
      line(text, { x: DETAILS.x, y }, { font: 'regular', size: fitted.fontSize, color: INK });
      y += fitted.fontSize * 1.25;
    }
    y += 6;
  }

  drawQrCode(doc, content.verifyUrl, QR.right - QR.size, QR.y, QR.size);
  doc.link(QR.right - QR.size, QR.y, QR.size, QR.size, content.verifyUrl);
  line(
    '스캔하여 확인 · Scan to verify',
    { centerX: QR.right - QR.size / 2, y: QR.y + QR.size + 6 },
    {
      font: 'regular',
      size: 8,
      color: MUTED,
    },
  );

  doc.end();
  return finished;
}

/** The QR code as vector squares: sharp at any zoom or print size, and no image to embed. */
function drawQrCode(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const cell = size / modules.size;
  // Runs of dark modules in a row become one rectangle: fewer path operations, no hairline seams.
  for (let row = 0; row < modules.size; row++) {
    let col = 0;
    while (col < modules.size) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      doc.rect(x + start * cell, y + row * cell, (col - start) * cell, cell);
    }
  }
  doc.fillColor(INK).fill();
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Slides of the demo lecture: Korean when a CJK font exists, English otherwise. */
const SLIDES = [
  { ko: '1. 파이썬 설치하기', en: '1. Installing Python', bullet: 'python3 --version' },
  { ko: '2. 첫 번째 프로그램', en: '2. Your first program', bullet: 'print("Hello")' },
  { ko: '3. 정리', en: '3. Summary', bullet: 'Lectio demo lecture' },
];

async function findFont(pattern: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('fc-match', ['-f', '%{file}', pattern], { timeout: 5_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** drawtext treats : ' \ and % specially; the slide texts avoid quotes, so escaping these suffices. */
function drawtextValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'").replace(/%/g, '\\%');
}

/**
 * Writes a short lecture-like MP4 (720p slides with a title bar and text, a voice-like tone) made
 * by ffmpeg itself, because a fresh install has no sample media to ship: the sample clips on the
 * development machines may not be copied into the project.
 */
export async function generateDemoLecture(
  file: string,
  options: { ffmpegPath: string; seconds?: number; timeoutMs?: number },
): Promise<void> {
  const seconds = options.seconds ?? 24;
  const perSlide = seconds / SLIDES.length;
  const cjkFont = await findFont('Noto Sans CJK KR:bold');
  const hasCjk = Boolean(cjkFont && /cjk/i.test(cjkFont));
  const font = hasCjk ? cjkFont : await findFont('sans:bold');
  const filters = [
    'drawbox=x=0:y=0:w=iw:h=90:color=0x0f1f33:t=fill',
    // A small moving marker, so the picture changes between keyframes like a pointer on a slide.
    `drawbox=x='80+(iw-200)*mod(t,${perSlide})/${perSlide}':y=600:w=40:h=12:color=0xf5b700:t=fill`,
  ];
  if (font) {
    const text = (value: string, extra: string) =>
      `drawtext=fontfile='${drawtextValue(font)}':text='${drawtextValue(value)}':fontcolor=white:${extra}`;
    filters.push(text(hasCjk ? 'Lectio 데모 강의' : 'Lectio demo lecture', 'x=80:y=25:fontsize=36'));
    SLIDES.forEach((slide, i) => {
      const enable = `enable='between(t,${i * perSlide},${(i + 1) * perSlide})'`;
      filters.push(text(hasCjk ? slide.ko : slide.en, `x=80:y=200:fontsize=64:${enable}`));
      filters.push(text(slide.bullet, `x=120:y=340:fontsize=40:${enable}`));
    });
  } else {
    // No font at all (a minimal container): slides as blocks, still a valid lecture-like picture.
    SLIDES.forEach((_, i) => {
      const enable = `enable='between(t,${i * perSlide},${(i + 1) * perSlide})'`;
      filters.push(`drawbox=x=80:y=${200 + i * 90}:w=${700 - i * 150}:h=60:color=white:t=fill:${enable}`);
    });
  }
  await run(
    options.ffmpegPath,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `color=c=0x1e3a5f:s=1280x720:r=30:d=${seconds}`,
      '-f',
      'lavfi',
      '-i',
      `sine=f=170:sample_rate=44100:d=${seconds}`,
      '-filter_complex',
      `[0:v]${filters.join(',')}[v];[1:a]vibrato=f=5:d=0.4,tremolo=f=2.5:d=0.8,volume=0.5,aformat=channel_layouts=stereo[a]`,
      '-map',
      '[v]',
      '-map',
      '[a]',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      '-movflags',
      '+faststart',
      file,
    ],
    { timeout: options.timeoutMs ?? 120_000 },
  );
}

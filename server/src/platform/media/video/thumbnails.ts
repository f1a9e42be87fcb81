import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/**
 * Poster and storyboard. The frames come out of the ladder's own decode (extra outputs of its
 * filter graph, see buildLadderArgs) as PNG files in the scratch directory; this module plans
 * them and turns them into the published JPEG/WebP poster, the sprite and its WebVTT index.
 */

const POSTER_BOX = 1280;
const TILE_BOX = 160;
const MAX_TILES = 100;
const COLUMNS = 10;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Fits a picture into a square box without enlarging it; even sides for the encoders. */
function fit(display: { width: number; height: number }, box: number) {
  const scale = Math.min(1, box / Math.max(display.width, display.height));
  return { width: even(display.width * scale), height: even(display.height * scale) };
}

export interface PosterPlan {
  atSeconds: number;
  width: number;
  height: number;
}

/** A frame a tenth of the way in (past a title card or a black lead-in); 1 s into a short clip. */
export function planPoster(durationSeconds: number, display: { width: number; height: number }): PosterPlan {
  const atSeconds = durationSeconds >= 10 ? durationSeconds * 0.1 : Math.min(1, durationSeconds / 2);
  return { atSeconds, ...fit(display, POSTER_BOX) };
}

export interface StoryboardPlan {
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
}

/** One tile every N whole seconds, N chosen so a video of any length has at most 100 tiles. */
export function planStoryboard(durationSeconds: number, display: { width: number; height: number }): StoryboardPlan {
  const intervalSeconds = Math.max(1, Math.ceil(durationSeconds / MAX_TILES));
  const tile = fit(display, TILE_BOX);
  return { intervalSeconds, tileWidth: tile.width, tileHeight: tile.height };
}

export interface StoryboardLayout extends StoryboardPlan {
  count: number;
  columns: number;
  rows: number;
}

/** How many tiles belong to the video: the fps filter may add one at the very end. */
export function storyboardLayout(plan: StoryboardPlan, durationSeconds: number, tilesMade: number): StoryboardLayout {
  const expected = Math.max(1, Math.ceil(durationSeconds / plan.intervalSeconds - 1e-6));
  const count = Math.max(1, Math.min(tilesMade, expected));
  const columns = Math.min(COLUMNS, count);
  return { ...plan, count, columns, rows: Math.ceil(count / columns) };
}

/** `HH:MM:SS.mmm`, the only timestamp form WebVTT allows with hours. */
export function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The WebVTT index players use for scrubbing previews: one cue per tile, `sprite#xywh=x,y,w,h`. */
export function renderStoryboardVtt(layout: StoryboardLayout, durationSeconds: number, sprite: string): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < layout.count; i++) {
    const start = i * layout.intervalSeconds;
    const end = i === layout.count - 1 ? Math.max(durationSeconds, start + 0.001) : (i + 1) * layout.intervalSeconds;
    const x = (i % layout.columns) * layout.tileWidth;
    const y = Math.floor(i / layout.columns) * layout.tileHeight;
    lines.push(
      `${vttTime(start)} --> ${vttTime(end)}`,
      `${sprite}#xywh=${x},${y},${layout.tileWidth},${layout.tileHeight}`,
      '',
    );
  }
  return lines.join('\n');
}

/** The tile PNGs ffmpeg wrote, in order. */
export async function listTiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
  return names.map((n) => path.join(dir, n));
}

/** Lays the tiles out left to right, top to bottom, into one JPEG sprite. */
export async function writeStoryboardSprite(tiles: readonly string[], layout: StoryboardLayout, file: string) {
  const composite = await Promise.all(
    tiles.slice(0, layout.count).map(async (tile, i) => ({
      input: await sharp(tile).resize(layout.tileWidth, layout.tileHeight, { fit: 'fill' }).toBuffer(),
      left: (i % layout.columns) * layout.tileWidth,
      top: Math.floor(i / layout.columns) * layout.tileHeight,
    })),
  );
  await sharp({
    create: {
      width: layout.columns * layout.tileWidth,
      height: layout.rows * layout.tileHeight,
      channels: 3,
      background: { r: 0, g: 0, b: 0 },
    },
  })
    .composite(composite)
    .jpeg({ quality: 70, mozjpeg: true })
    .toFile(file);
}

/** The poster in both formats: WebP for browsers that take it, JPEG for mail clients and the rest. */
export async function writePoster(png: string, jpegFile: string, webpFile: string) {
  const image = sharp(png);
  const info = await image.metadata();
  await Promise.all([
    image.clone().jpeg({ quality: 82, mozjpeg: true }).toFile(jpegFile),
    image.clone().webp({ quality: 78 }).toFile(webpFile),
  ]);
  return { width: info.width ?? 0, height: info.height ?? 0 };
}

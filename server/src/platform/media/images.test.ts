import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageRejected, SharpImageProcessor } from './images.js';

const spec = { widths: [320, 640, 960, 1280], minWidth: 640, aspect: { width: 16, height: 9 } } as const;
const processor = new SharpImageProcessor();

function photo(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: '#3366cc' } });
}

describe('SharpImageProcessor.renderCover', () => {
  it('renders WebP and JPEG at every width the source fills, cropped to 16:9', async () => {
    const out = await processor.renderCover(await photo(2000, 2000).png().toBuffer(), spec);
    expect(out.map((r) => `${r.format}@${r.width}x${r.height}`).sort()).toEqual(
      [
        'jpeg@1280x720',
        'jpeg@320x180',
        'jpeg@640x360',
        'jpeg@960x540',
        'webp@1280x720',
        'webp@320x180',
        'webp@640x360',
        'webp@960x540',
      ].sort(),
    );
    for (const r of out) {
      const meta = await sharp(r.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([r.format, r.width, r.height]);
    }
  });

  it('reads a sideways phone photo as it is shown (EXIF orientation)', async () => {
    // Stored 1600×900 but tagged "rotate 90°": it shows 900×1600, too narrow for 960.
    const sideways = await photo(1600, 900).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const out = await processor.renderCover(sideways, spec);
    expect(Math.max(...out.map((r) => r.width))).toBe(640);
  });

  it('never upscales: a wide but short image is bounded by its height', async () => {
    const out = await processor.renderCover(await photo(3000, 500).jpeg().toBuffer(), spec);
    // 500 px high holds a 16:9 crop 888 px wide.
    expect(Math.max(...out.map((r) => r.width))).toBe(640);
  });

  it('refuses what is not a usable image, with the reason', async () => {
    const problem = async (input: Buffer) =>
      processor.renderCover(input, spec).then(
        () => 'accepted',
        (e: unknown) => (e instanceof ImageRejected ? e.problem : String(e)),
      );
    expect(await problem(Buffer.from('nope'))).toBe('invalid_image');
    expect(await problem(await photo(639, 400).jpeg().toBuffer())).toBe('image_too_small');
    expect(await problem(await photo(800, 450).gif().toBuffer())).toBe('unsupported_image_type');
    expect(await problem((await photo(1280, 720).png().toBuffer()).subarray(0, 300))).toBe('invalid_image');
  });
});

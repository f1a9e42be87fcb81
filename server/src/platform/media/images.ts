import sharp, { type Metadata, type OutputInfo } from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface Rendition {
  width: number;
  height: number;
  format: 'webp' | 'jpeg';
  data: Buffer;
}

export interface CoverSpec {
  /** Widths wanted, ascending; only those the source can fill without upscaling are made. */
  widths: readonly number[];
  /** The smallest source accepted: both the width and the height its aspect ratio needs at that width. */
  minWidth: number;
  aspect: { width: number; height: number };
}

export type ImageProblem = 'unsupported_image_type' | 'invalid_image' | 'image_too_small';

export class ImageRejected extends Error {
  constructor(
    readonly problem: ImageProblem,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ImageRejected';
  }
}

export interface ImageProcessor {
  /** Crops to the aspect ratio and renders every fitting width as WebP and JPEG. */
  renderCover(input: Buffer, spec: CoverSpec): Promise<Rendition[]>;
}

const ACCEPTED: ReadonlySet<string> = new Set<ImageFormat>(['jpeg', 'png', 'webp']);
/**
 * A decompression bomb (a tiny file of enormous dimensions) must fail before it is decoded:
 * 50 megapixels is far above any sensible cover (8K is 33 MP).
 */
const MAX_INPUT_PIXELS = 50_000_000;

/** Image work with sharp (libvips), framework-free; one instance is shared by every request. */
export class SharpImageProcessor implements ImageProcessor {
  async renderCover(input: Buffer, spec: CoverSpec): Promise<Rendition[]> {
    const source = () => sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
    let meta: Metadata;
    try {
      meta = await source().metadata();
    } catch {
      throw new ImageRejected('invalid_image', 'The file is not an image we can read.');
    }
    if (!meta.format || !ACCEPTED.has(meta.format)) {
      throw new ImageRejected('unsupported_image_type', 'Upload a JPEG, PNG or WebP image.', { format: meta.format });
    }
    // Phones store portrait photos sideways with an EXIF orientation; what counts is how it shows.
    const sideways = (meta.orientation ?? 1) >= 5;
    const width = (sideways ? meta.height : meta.width) ?? 0;
    const height = (sideways ? meta.width : meta.height) ?? 0;
    const minHeight = Math.round((spec.minWidth * spec.aspect.height) / spec.aspect.width);
    if (width < spec.minWidth || height < minHeight) {
      throw new ImageRejected('image_too_small', `The image must be at least ${spec.minWidth}×${minHeight} pixels.`, {
        width,
        height,
        minWidth: spec.minWidth,
        minHeight,
      });
    }
    // The widest crop of the wanted aspect ratio that fits inside the image bounds every rendition.
    const cropWidth = Math.min(width, Math.floor((height * spec.aspect.width) / spec.aspect.height));
    const widths = spec.widths.filter((w) => w <= cropWidth);
    const largest = widths[widths.length - 1] ?? spec.minWidth;
    const heightOf = (w: number) => Math.round((w * spec.aspect.height) / spec.aspect.width);
    let base: { data: Buffer; info: OutputInfo };
    try {
      // One full decode (a truncated or corrupt file fails here, cleanly) straight to the largest
      // rendition's pixels; JPEG shrink-on-load keeps memory small even for a big photo.
      base = await source()
        .rotate()
        .resize(largest, heightOf(largest), { fit: 'cover', position: 'attention' })
        .flatten({ background: '#ffffff' })
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch {
      throw new ImageRejected('invalid_image', 'The image could not be decoded; it may be damaged.');
    }
    const raw = { width: base.info.width, height: base.info.height, channels: base.info.channels };
    const renditions = await Promise.all(
      widths.flatMap((w) => {
        const resized = () => sharp(base.data, { raw }).resize(w, heightOf(w));
        return [
          resized()
            .webp({ quality: 80 })
            .toBuffer()
            .then((data): Rendition => ({ width: w, height: heightOf(w), format: 'webp', data })),
          resized()
            .jpeg({ quality: 82, progressive: true, mozjpeg: true })
            .toBuffer()
            .then((data): Rendition => ({ width: w, height: heightOf(w), format: 'jpeg', data })),
        ];
      }),
    );
    return renditions;
  }
}

import { crc32, deflateSync } from 'node:zlib';

/** Two-colour pairs, one per demo course, so the catalog's cards are told apart at a glance. */
const PALETTE: [number, number, number][][] = [
  [
    [55, 48, 163],
    [14, 165, 233],
  ],
  [
    [6, 95, 70],
    [52, 211, 153],
  ],
  [
    [180, 83, 9],
    [251, 191, 36],
  ],
  [
    [109, 40, 217],
    [244, 114, 182],
  ],
  [
    [12, 74, 110],
    [125, 211, 252],
  ],
  [
    [30, 41, 59],
    [148, 163, 184],
  ],
  [
    [159, 18, 57],
    [251, 113, 133],
  ],
  [
    [21, 128, 61],
    [190, 242, 100],
  ],
];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

/**
 * A 1280×720 PNG: a diagonal gradient with soft bands, drawn without an image library. It goes
 * through the studio's normal cover upload, so demo covers get every rendition real ones get.
 */
export function demoCoverPng(index: number, width = 1280, height = 720): Buffer {
  const [from, to] = PALETTE[index % PALETTE.length]! as [[number, number, number], [number, number, number]];
  const raw = Buffer.alloc((1 + width * 3) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const band = 0.06 * Math.sin((x + 2 * y) / 90);
      const mix = Math.min(1, Math.max(0, t + band));
      for (let c = 0; c < 3; c++) raw[row + 1 + x * 3 + c] = Math.round(from[c]! + (to[c]! - from[c]!) * mix);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

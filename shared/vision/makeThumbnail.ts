import { decodeImage, decoding } from './decodeImage.ts';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE = 512;

/**
 * A WebP thumbnail, at most THUMBNAIL_MAX_SIDE on its longest side (never enlarged), oriented, with
 * no metadata: sharp drops EXIF, GPS and ICC unless asked to keep them, and nothing here asks.
 */
export function makeThumbnail(bytes: Buffer, maxPixels: number): Promise<Buffer> {
  return decoding(() =>
    decodeImage(bytes, maxPixels)
      .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer(),
  );
}

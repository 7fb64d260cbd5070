import { decodeImage, decoding, type ImageMetadata } from '../decodeImage.ts';

/** Longest side of the copy a cloud engine gets: enough for OCR of a page, far less than a 12-megapixel photo. */
export const CLOUD_IMAGE_MAX_SIDE = 2048;

/** The image as a cloud engine receives it, and how its pixels map back to the original's. */
export interface CloudImage {
  jpeg: Buffer;
  /** Original pixels per pixel of `jpeg`. */
  scale: number;
}

/**
 * A JPEG copy for a cloud engine: oriented, at most CLOUD_IMAGE_MAX_SIDE, and without metadata, so
 * the provider never receives the photo's GPS position or camera serials.
 */
export async function cloudImage(bytes: Buffer, metadata: ImageMetadata, maxPixels: number): Promise<CloudImage> {
  const { data, info } = await decoding(() =>
    decodeImage(bytes, maxPixels)
      .resize(CLOUD_IMAGE_MAX_SIDE, CLOUD_IMAGE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 90 })
      .toBuffer({ resolveWithObject: true }),
  );
  return { jpeg: data, scale: metadata.width / info.width };
}

import type { Page } from 'tesseract.js';
import { decodeImage, decoding, type ImageMetadata } from '../decodeImage.ts';
import type { RecognizedText, RecognizedWord } from '../types.ts';
import type { OcrPool } from './OcrPool.ts';

/**
 * Longest side OCR reads, in pixels. Tesseract's cost grows with the pixel count, and text that is
 * legible at all is still ~10 px tall at this scale in a 12-megapixel photo, so bigger images are
 * scaled down first (and the boxes scaled back).
 */
export const OCR_MAX_SIDE = 2500;
/** Formats tesseract.js decodes itself: given as they are, they skip a decode and re-encode here. */
const READ_AS_IS = new Set(['png', 'jpeg']);

/**
 * The text of an image and its words with their boxes in pixels of the oriented original. Images that
 * are rotated by EXIF, too big, or in a format tesseract.js does not read are first decoded,
 * oriented and scaled by sharp into a PNG.
 */
export async function recognizeText(pool: OcrPool, bytes: Buffer, metadata: ImageMetadata, maxPixels: number): Promise<RecognizedText> {
  const isRotated = (metadata.exif?.orientation ?? 1) > 1;
  const longest = Math.max(metadata.width, metadata.height);
  let input = bytes;
  let scale = 1;
  if (isRotated || longest > OCR_MAX_SIDE || !READ_AS_IS.has(metadata.format)) {
    const { data, info } = await decoding(() =>
      decodeImage(bytes, maxPixels)
        .resize(OCR_MAX_SIDE, OCR_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
        .greyscale()
        .png({ compressionLevel: 1 })
        .toBuffer({ resolveWithObject: true }),
    );
    input = data;
    scale = metadata.width / info.width;
  }
  const { page } = await pool.recognize(input);
  return { text: page.text.trim(), words: wordsOf(page, scale) };
}

function wordsOf(page: Page, scale: number): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  for (const block of page.blocks ?? [])
    for (const paragraph of block.paragraphs)
      for (const line of paragraph.lines)
        for (const word of line.words) {
          const text = word.text.trim();
          if (!text) continue;
          const { x0, y0, x1, y1 } = word.bbox;
          words.push({
            text,
            confidence: Math.round(word.confidence * 10) / 10,
            box: {
              x: Math.round(x0 * scale),
              y: Math.round(y0 * scale),
              width: Math.round((x1 - x0) * scale),
              height: Math.round((y1 - y0) * scale),
            },
          });
        }
  return words;
}

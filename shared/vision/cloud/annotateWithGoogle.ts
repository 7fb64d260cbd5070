import type { ImageAnnotatorClient } from '@google-cloud/vision';
import type { DetectedObject, RecognizedText } from '../types.ts';
import type { CloudImage } from './cloudImage.ts';

/** What Google Vision found, already in pixels of the oriented original. */
export interface GoogleAnnotations {
  text: RecognizedText;
  objects: DetectedObject[];
  labels: string[];
}

interface Vertex {
  x?: number | null;
  y?: number | null;
}

/**
 * One BatchAnnotateImages call for everything asked of Google Vision: DOCUMENT_TEXT_DETECTION
 * (dense text; its `textAnnotations` still lists words), OBJECT_LOCALIZATION and LABEL_DETECTION.
 */
export async function annotateWithGoogle(
  client: ImageAnnotatorClient,
  image: CloudImage,
  size: { width: number; height: number },
  options: { text: boolean; objects: boolean; labels: boolean; timeoutMs: number },
): Promise<GoogleAnnotations> {
  const features = [
    ...(options.text ? [{ type: 'DOCUMENT_TEXT_DETECTION' as const }] : []),
    ...(options.objects ? [{ type: 'OBJECT_LOCALIZATION' as const, maxResults: 20 }] : []),
    ...(options.labels ? [{ type: 'LABEL_DETECTION' as const, maxResults: 10 }] : []),
  ];
  const [response] = await client.batchAnnotateImages(
    { requests: [{ image: { content: image.jpeg }, features }] },
    { timeout: options.timeoutMs },
  );
  const result = response.responses?.[0];
  if (!result) throw new Error('Google Vision answered no result');
  if (result.error?.message) throw new Error(`Google Vision: ${result.error.message}`);

  const pixelBox = (vertices: Vertex[], scaleX: number, scaleY: number) => {
    const xs = vertices.map((v) => v.x ?? 0);
    const ys = vertices.map((v) => v.y ?? 0);
    const [left, top] = [Math.min(...xs), Math.min(...ys)];
    return {
      x: Math.round(left * scaleX),
      y: Math.round(top * scaleY),
      width: Math.round((Math.max(...xs) - left) * scaleX),
      height: Math.round((Math.max(...ys) - top) * scaleY),
    };
  };
  const [whole, ...words] = result.textAnnotations ?? [];
  return {
    text: {
      text: (result.fullTextAnnotation?.text ?? whole?.description ?? '').trim(),
      words: words.map((word) => ({
        text: word.description ?? '',
        // textAnnotations' confidence is deprecated and left 0 (unset): Google then stands by the word.
        confidence: Math.round((word.confidence || word.score || 1) * 1000) / 10,
        box: pixelBox(word.boundingPoly?.vertices ?? [], image.scale, image.scale),
      })),
    },
    objects: (result.localizedObjectAnnotations ?? []).map((object) => ({
      label: (object.name ?? 'object').toLowerCase(),
      score: Math.round((object.score ?? 0) * 100) / 100,
      box: pixelBox(object.boundingPoly?.normalizedVertices ?? [], size.width, size.height),
    })),
    labels: (result.labelAnnotations ?? []).map((label) => label.description ?? '').filter(Boolean),
  };
}

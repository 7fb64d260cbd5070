import { Readable } from 'node:stream';
import type { Logger } from '@shared/logger.ts';
import type { ObjectStorage } from '@shared/storage/index.ts';
import type { ImageMetadata } from '@shared/vision/decodeImage.ts';
import type { ImageFeature, VisionEngines } from '@shared/vision/VisionEngines.ts';
import type { ImageMetrics } from './imageMetrics.ts';
import { newThumbnailKey } from './imageKeys.ts';
import type { AnalysisResultFields } from './images.repo.ts';

export interface AnalysisDeps {
  storage: ObjectStorage;
  engines: VisionEngines;
  metrics: ImageMetrics;
  log: Logger;
}

/** The whole of a stored object, as one buffer: images are at most IMAGE_MAX_BYTES, and sharp wants them whole. */
export async function readObject(storage: ObjectStorage, key: string): Promise<Buffer> {
  const object = await storage.get(key);
  return Buffer.concat((await object.body.toArray()) as Buffer[]);
}

/**
 * Runs the engines over an image and stores its thumbnail: the fields to record. Whoever records
 * them deletes `thumbnail_key` if recording fails.
 */
export async function runAnalysis(
  deps: AnalysisDeps,
  bytes: Buffer,
  features: readonly ImageFeature[],
  mode: 'request' | 'job',
  options: { onProgress?: (fraction: number) => Promise<void>; header?: ImageMetadata; thumbnail?: Promise<Buffer> } = {},
): Promise<AnalysisResultFields> {
  const started = performance.now();
  const result = await deps.engines.analyze(bytes, features, options);
  let thumbnailKey: string | null = null;
  if (result.thumbnail) {
    thumbnailKey = newThumbnailKey();
    await deps.storage.put(thumbnailKey, Readable.from([result.thumbnail]), { contentType: 'image/webp' });
  }
  deps.metrics.analysed(result.engines, (performance.now() - started) / 1_000, mode);
  return {
    metadata: result.metadata,
    thumbnail_key: thumbnailKey,
    text: result.text,
    words: result.words,
    objects: result.objects,
    labels: result.labels,
    description: result.description,
    engines: result.engines,
    fallbacks: result.fallbacks,
  };
}

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

/** What the caller already has or has started for this analysis. */
export interface AnalysisOptions {
  /** Hears 0–1 as features finish. */
  onProgress?: (fraction: number) => Promise<void>;
  /** What readImageHeader said of these bytes. */
  header?: ImageMetadata;
  /** makeThumbnail of these bytes, already under way. */
  thumbnail?: Promise<Buffer>;
  /** performance.now() when the work began, when that was before this call (a thumbnail started early): the metric's start. */
  startedAt?: number;
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
  options: AnalysisOptions = {},
): Promise<AnalysisResultFields> {
  const started = options.startedAt ?? performance.now();
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

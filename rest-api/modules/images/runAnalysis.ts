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
  const { fields, thumbnailStored } = await startAnalysis(deps, bytes, features, mode, options);
  await thumbnailStored;
  return fields;
}

/**
 * runAnalysis, answering once the engines are done, with the thumbnail's write to storage still under
 * way (`thumbnailStored`, which the caller must await before anything names `thumbnail_key`): a request
 * records the analysis while the thumbnail is written, and commits once it is there.
 */
export async function startAnalysis(
  deps: AnalysisDeps,
  bytes: Buffer,
  features: readonly ImageFeature[],
  mode: 'request' | 'job',
  options: AnalysisOptions = {},
): Promise<{ fields: AnalysisResultFields; thumbnailStored: Promise<void> }> {
  const started = options.startedAt ?? performance.now();
  const result = await deps.engines.analyze(bytes, features, options);
  const thumbnailKey = result.thumbnail ? newThumbnailKey() : null;
  const thumbnailStored = (
    result.thumbnail && thumbnailKey
      ? deps.storage.put(thumbnailKey, Readable.from([result.thumbnail]), { contentType: 'image/webp' }).then(() => undefined)
      : Promise.resolve()
  ).then(() => deps.metrics.analysed(result.engines, (performance.now() - started) / 1_000, mode));
  // Heard now: the caller awaits it after its own work, and a write failing first is no unhandled rejection.
  thumbnailStored.catch(() => {});
  const fields = {
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
  return { fields, thumbnailStored };
}

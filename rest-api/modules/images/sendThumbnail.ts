import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { NotFoundError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { ObjectNotFoundError, type ObjectStorage } from '@shared/storage/index.ts';
import type { ImageAnalysisRow } from './images.repo.ts';

/** Streams an analysis's WebP thumbnail; 404 when it has none (not asked for, or not made yet). */
export async function sendThumbnail(deps: { storage: ObjectStorage; log: Logger }, res: Response, row: ImageAnalysisRow): Promise<void> {
  if (!row.thumbnail_key) throw new NotFoundError('This analysis has no thumbnail');
  const object = await deps.storage.get(row.thumbnail_key).catch((error: unknown) => {
    if (!(error instanceof ObjectNotFoundError)) throw error;
    deps.log.error({ analysisId: row.id }, 'image analysis without its thumbnail object');
    throw new NotFoundError('This analysis has no thumbnail');
  });
  res.status(200).set({
    'Content-Type': 'image/webp',
    'Content-Length': String(object.size),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'",
    // A thumbnail never changes: its analysis is done when it exists.
    'Cache-Control': 'private, max-age=86400, immutable',
  });
  await pipeline(object.body, res).catch((error: unknown) => {
    // A client that leaves mid-download is no server fault.
    deps.log.debug({ err: error, analysisId: row.id }, 'thumbnail download cut short');
  });
}

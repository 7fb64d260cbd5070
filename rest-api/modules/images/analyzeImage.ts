import type { Actor } from '@shared/auth.ts';
import type { Config } from '@shared/config.ts';
import type { Db } from '@shared/db.ts';
import { AppError } from '@shared/errors.ts';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { readImageHeader } from '@shared/vision/decodeImage.ts';
import { makeThumbnail } from '@shared/vision/makeThumbnail.ts';
import type { ImageFeature } from '@shared/vision/VisionEngines.ts';
import type { StoredUpload } from '../../http/upload/UploadSpec.ts';
import { createAttachment } from '../attachments/createAttachment.ts';
import { imageAnalyzeQueueRef } from './imageAnalyzeQueue.ts';
import { findCachedAnalysis, insertAnalysis, type AnalysisResultFields, type ImageAnalysisRow } from './images.repo.ts';
import { runAnalysis, type AnalysisDeps } from './runAnalysis.ts';

interface Deps extends AnalysisDeps {
  db: Db;
  jobs: Jobs;
  config: Pick<Config, 'IMAGE_MAX_PIXELS' | 'IMAGE_SYNC_BYTES'>;
}

interface Props {
  actor: Actor;
  /** The image as received: its key (under the conversation's attachments when `conversationId` is set), hash and size. */
  upload: StoredUpload;
  /** The upload's bytes. */
  bytes: Buffer;
  /** Their write to storage, started while they were received: settles when they are there. */
  stored: Promise<void>;
  /** Called once nothing started here reads `bytes` any more, so their memory can take the next upload; see SHARP_ONLY. */
  releaseBytes?: () => void;
  /** In canonical order. */
  features: ImageFeature[];
  /** Keep the image as an attachment of this conversation. */
  conversationId?: string;
}

/**
 * Analyses an uploaded image and stores it: from an earlier analysis of the same bytes when there is
 * one (no engine runs), else in the request, or on the job queue when it is bigger than
 * IMAGE_SYNC_BYTES (`pending` is then true). The bytes are written to storage while they arrive and
 * the engines work; nothing is recorded, nor answered, before they are there. An image with too many pixels or bytes that
 * are no image is refused before anything is recorded, and what was written is deleted: a refused
 * upload leaves nothing behind.
 */
export async function analyzeImage(deps: Deps, props: Props): Promise<{ row: ImageAnalysisRow; pending: boolean }> {
  const { features, releaseBytes } = props;
  // Everything started here that reads the bytes, settled or not: whatever this answers, they may still run.
  const readers: Array<Promise<unknown>> = [];
  try {
    return await analyzeAndRecord(deps, props, (reader) => {
      readers.push(reader);
      return reader;
    });
  } finally {
    if (releaseBytes && features.every((feature) => SHARP_ONLY.includes(feature))) void Promise.allSettled(readers).then(releaseBytes);
  }
}

/**
 * Features whose work reads the bytes only through the promises analyzeImage tracks (sharp's header read
 * and thumbnail). Other engines may outlive the analysis (a cloud call past its deadline, one engine
 * still running when another failed): their bytes are never given back, and are collected as garbage.
 */
const SHARP_ONLY: readonly ImageFeature[] = ['metadata', 'thumbnail'];

async function analyzeAndRecord(
  deps: Deps,
  props: Props,
  reading: <T>(reader: Promise<T>) => Promise<T>,
): Promise<{ row: ImageAnalysisRow; pending: boolean }> {
  const { actor, upload, bytes, features, conversationId } = props;
  const written: string[] = [];
  let isRecorded = false;
  // Written while the bytes arrived and while the engines run; awaited before anything is recorded.
  const stored = props.stored.then(() => {
    written.push(upload.key);
  });
  // Heard now, so a store that fails while the engines still run is no unhandled rejection; awaited below.
  stored.catch(() => {});
  try {
    if (bytes.length === 0) throw new AppError(400, 'validation_failed', 'image: the file is empty');
    const startedAt = performance.now();
    const started = startThumbnail(deps.config, bytes, features, upload.size);
    const thumbnail = started && reading(started);
    const [header, cached] = await Promise.all([
      reading(readImageHeader(bytes, deps.config.IMAGE_MAX_PIXELS)),
      findCachedAnalysis(deps.db, upload.sha256, features),
    ]);
    const isLarge = !cached && upload.size > deps.config.IMAGE_SYNC_BYTES;
    let fields: Partial<AnalysisResultFields> = {};
    if (cached) {
      fields = resultOf(cached);
      deps.metrics.cached();
    } else if (!isLarge) {
      fields = await reading(runAnalysis(deps, bytes, features, 'request', { header, startedAt, ...(thumbnail ? { thumbnail } : {}) }));
      if (fields.thumbnail_key) written.push(fields.thumbnail_key);
    }
    await stored;
    // createAttachment deletes the object itself when it cannot record it.
    isRecorded = Boolean(conversationId);
    const attachment = conversationId ? await createAttachment(deps, { actor, conversationId, file: upload }) : undefined;
    const record = {
      user_id: actor.id,
      conversation_id: conversationId ?? null,
      attachment_id: attachment?.id ?? null,
      sha256: upload.sha256,
      features,
      storage_key: upload.key,
      ...fields,
    };
    // One statement when the work is done; with its job in one transaction when it is queued.
    const row = isLarge
      ? await deps.db.transaction(async (trx) => {
          const inserted = await insertAnalysis(trx, { ...record, status: 'pending' });
          await deps.jobs.enqueue(imageAnalyzeQueueRef, { analysisId: inserted.id }, { trx });
          return inserted;
        })
      : await insertAnalysis(deps.db, { ...record, status: 'done', progress: 1, cached: Boolean(cached), completed_at: new Date() });
    isRecorded = true;
    return { row, pending: isLarge };
  } catch (error) {
    deps.metrics.failed(error instanceof AppError ? error.code : 'internal_error');
    // The original may still be on its way to storage: let it land (or fail) before cleaning up.
    await stored.catch(() => {});
    const orphans = isRecorded ? written.filter((key) => key !== upload.key) : written;
    await Promise.all(
      orphans.map((key) =>
        deps.storage
          .delete(key)
          .catch((cleanupError: unknown) => deps.log.error({ err: cleanupError, key }, 'could not delete the object of a refused image')),
      ),
    );
    throw error;
  }
}

/**
 * The thumbnail of an image analysed in the request, started before its header is read and its cache
 * looked up rather than after them: the decode is most of the request, and those two (a database round
 * trip among them) then run beside it instead of ahead of it. A bomb is still refused before a pixel is
 * decoded — the header read answers 413 first, and the decode refuses at libvips' own pixel limit — and
 * a cache hit drops the result unused: it costs the CPU of one upload of new bytes, which the per-user
 * media limit already bounds, and never the answer's time. Undefined when no thumbnail is made in the request.
 */
function startThumbnail(config: Deps['config'], bytes: Buffer, features: readonly ImageFeature[], size: number) {
  if (!features.includes('thumbnail') || size > config.IMAGE_SYNC_BYTES) return undefined;
  const thumbnail = makeThumbnail(bytes, config.IMAGE_MAX_PIXELS);
  // Heard now: when the header refuses the image or the cache answers, nobody awaits it.
  thumbnail.catch(() => {});
  return thumbnail;
}

/** What an analysis found, to copy into another analysis of the same bytes. */
function resultOf(row: ImageAnalysisRow): AnalysisResultFields {
  const { metadata, thumbnail_key, text, words, objects, labels, description, engines, fallbacks } = row;
  return { metadata, thumbnail_key, text, words, objects, labels, description, engines, fallbacks };
}

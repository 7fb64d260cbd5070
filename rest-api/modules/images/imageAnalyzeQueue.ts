import { z } from 'zod';
import { AppError } from '@shared/errors.ts';
import { defineQueue, type QueueRef } from '@shared/jobs/defineQueue.ts';
import type { Db } from '@shared/db.ts';
import { readObject, runAnalysis, type AnalysisDeps } from './runAnalysis.ts';
import { findAnalysis, updateAnalysis } from './images.repo.ts';

const Payload = z.object({ analysisId: z.uuid() });

/** The queue of large images; enqueueing needs only this. */
export const imageAnalyzeQueueRef: QueueRef<typeof Payload> = { name: 'image.analyze', payload: Payload };

/**
 * Analyses an image too large to analyse within its request (IMAGE_SYNC_BYTES). The row says
 * running, then its progress as features finish, then done or failed. An image that turns out
 * unreadable fails at once (retrying cannot help); anything else is retried once.
 */
export function createImageAnalyzeQueue(deps: AnalysisDeps & { db: Db }) {
  return defineQueue({
    ...imageAnalyzeQueueRef,
    // OCR and objects of a 20 MiB photo take well under a minute here; a dead worker's job runs again after this.
    expireInSeconds: 300,
    retryLimit: 1,
    concurrency: 1,
    async handler({ analysisId }, { progress, isLastAttempt, log }) {
      const row = await findAnalysis(deps.db, analysisId);
      if (!row || row.status === 'done' || row.status === 'failed') return { skipped: true };
      await updateAnalysis(deps.db, analysisId, { status: 'running', progress: 0 });
      try {
        const bytes = await readObject(deps.storage, row.storage_key);
        const fields = await runAnalysis(deps, bytes, row.features, 'job', {
          onProgress: async (fraction) => {
            // Never quite 1 before the result is recorded: a reader seeing 1 may expect the result.
            await updateAnalysis(deps.db, analysisId, { progress: Math.min(0.99, fraction) });
            await progress({ percent: fraction * 100 });
          },
        });
        await updateAnalysis(deps.db, analysisId, { ...fields, status: 'done', progress: 1, completed_at: new Date() });
        return { analysed: true };
      } catch (error) {
        const isFinal = error instanceof AppError || isLastAttempt;
        if (!isFinal) throw error;
        const failure =
          error instanceof AppError
            ? { code: error.code, message: error.message }
            : { code: 'analysis_failed', message: 'The analysis failed' };
        log.warn({ err: error, analysisId }, 'image analysis failed');
        deps.metrics.failed(failure.code);
        await updateAnalysis(deps.db, analysisId, { status: 'failed', error: failure, completed_at: new Date() });
        return { failed: failure.code };
      }
    },
  });
}

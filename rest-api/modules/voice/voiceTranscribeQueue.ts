import { z } from 'zod';
import { AppError } from '@shared/errors.ts';
import { defineQueue, type QueueRef } from '@shared/jobs/defineQueue.ts';
import type { Services } from '@shared/services.ts';
import { postTranscript } from './postTranscript.ts';
import { voiceEnginesOf } from './voiceEngines.ts';
import type { VoiceMetrics } from './voiceMetrics.ts';
import { withStoredFile } from './voiceAudio.ts';
import { findTranscription, updateTranscription } from './voice.repo.ts';

/** The voice.transcribe queue as code that enqueues sees it: one job per long recording. */
export const VOICE_TRANSCRIBE = {
  name: 'voice.transcribe',
  payload: z.object({ transcriptionId: z.uuid(), post: z.boolean() }),
} satisfies QueueRef;

/**
 * Transcribes a recording longer than VOICE_SYNC_SECONDS outside the request: the row goes `running`,
 * its `progress` follows the chunks done, then it is `done` (and posted when asked) or, after the last
 * attempt, `failed` with the error. One at a time per process: pocketsphinx already uses both cores.
 */
export function createVoiceTranscribeQueue(services: Services, metrics: VoiceMetrics) {
  const { db, bus, storage } = services;
  return defineQueue({
    ...VOICE_TRANSCRIBE,
    // The worker heartbeats; a long recording may take minutes.
    heartbeatSeconds: 30,
    retryLimit: 2,
    concurrency: 1,
    async handler({ transcriptionId, post }, { progress, isLastAttempt, signal }) {
      const row = await findTranscription(db, transcriptionId);
      if (!row || row.status === 'done' || !row.storage_key) return { skipped: row ? row.status : 'no such transcription' };
      const engines = voiceEnginesOf(services);
      const started = performance.now();
      await updateTranscription(db, row.id, { status: 'running', progress: 0 });
      try {
        const result = await withStoredFile(storage, row.storage_key, async (file) => {
          const audio = await engines.normalise(file, { signal });
          const onProgress = async (done: number) => {
            await updateTranscription(db, row.id, { progress: Math.min(0.99, done) });
            await progress({ percent: Math.round(done * 100) });
          };
          return { ...(await engines.transcribe(audio.pcm, { language: row.language, signal, onProgress })), durationMs: audio.durationMs };
        });
        // The transcript first, then the message, then `done`: whoever sees `done` sees the message too.
        const transcribed = await updateTranscription(db, row.id, {
          text: result.text,
          segments: result.segments,
          duration_ms: result.durationMs,
          engine: result.engine,
          fallbacks: result.fallbacks,
        });
        if (post) await postTranscript(db, bus, transcribed);
        await updateTranscription(db, row.id, { status: 'done', progress: 1, completed_at: new Date() });
        metrics.record('transcribe', result.engine, 'ok', (performance.now() - started) / 1000);
        return { engine: result.engine, segments: result.segments.length };
      } catch (error) {
        if (isLastAttempt || (error instanceof AppError && error.status < 500)) {
          const detail =
            error instanceof AppError
              ? { code: error.code, message: error.message }
              : { code: 'internal', message: 'Transcription failed' };
          await updateTranscription(db, row.id, { status: 'failed', error: detail, completed_at: new Date() });
          metrics.record('transcribe', 'none', 'error');
          if (error instanceof AppError && error.status < 500) return { failed: detail };
        }
        throw error;
      }
    },
  });
}

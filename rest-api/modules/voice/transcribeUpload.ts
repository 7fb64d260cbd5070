import type { Actor } from '@shared/auth.ts';
import type { Services } from '@shared/services.ts';
import type { VoiceEngines } from '@shared/voice/VoiceEngines.ts';
import type { StoredUpload } from '../../http/upload/UploadSpec.ts';
import { createAttachment } from '../attachments/createAttachment.ts';
import { postTranscript } from './postTranscript.ts';
import { insertTranscription, findCachedTranscription, type NewTranscription, type TranscriptionRow } from './voice.repo.ts';
import { withStoredFile } from './voiceAudio.ts';
import type { VoiceMetrics } from './voiceMetrics.ts';
import { VOICE_TRANSCRIBE } from './voiceTranscribeQueue.ts';

interface Deps {
  services: Pick<Services, 'db' | 'bus' | 'storage' | 'log' | 'config' | 'jobs'>;
  engines: VoiceEngines;
  metrics: VoiceMetrics;
}

interface Props {
  actor: Actor;
  /** The recording, already in object storage (under the conversation's attachments when `conversationId` is set). */
  upload: StoredUpload;
  language: string;
  conversationId?: string;
  post?: boolean;
}

/**
 * Transcribes an uploaded recording. The same bytes in the same language are answered from the
 * earlier result (`cached`, no engine runs). Otherwise the audio is decoded (415 when it holds none,
 * 400 past VOICE_MAX_SECONDS); a recording up to VOICE_SYNC_SECONDS is transcribed in the request,
 * a longer one goes to the job queue (`pending`). With `conversationId` the audio becomes an attachment
 * of the conversation, and with `post` the transcript is posted there with it. An upload that is
 * refused, or fails before it is recorded, is deleted from storage.
 */
export async function transcribeUpload(deps: Deps, props: Props): Promise<{ row: TranscriptionRow; queued: boolean }> {
  const { db, storage, config, jobs, bus, log } = deps.services;
  const { upload, language, actor } = props;
  let recorded = false;
  try {
    const started = performance.now();
    const base: NewTranscription = {
      user_id: actor.id,
      sha256: upload.sha256,
      language,
      status: 'done',
      conversation_id: props.conversationId ?? null,
      storage_key: upload.key,
    };

    const cached = await findCachedTranscription(db, upload.sha256, language);
    let row: TranscriptionRow;
    let queued = false;
    if (cached) {
      const attachmentId = await keepAsAttachment(deps, props);
      recorded = true;
      row = await insertTranscription(db, {
        ...base,
        ...copyOfResult(cached),
        cached: true,
        attachment_id: attachmentId,
        completed_at: new Date(),
      });
      deps.metrics.record('transcribe', cached.engine ?? 'none', 'cached');
    } else {
      const audio = await withStoredFile(storage, upload.key, (file) => deps.engines.normalise(file));
      if (audio.durationMs > config.VOICE_SYNC_SECONDS * 1000) {
        const attachmentId = await keepAsAttachment(deps, props);
        recorded = true;
        row = await db.transaction(async (trx) => {
          const pending = await insertTranscription(trx, {
            ...base,
            status: 'pending',
            duration_ms: audio.durationMs,
            attachment_id: attachmentId,
          });
          // In the same transaction: the job exists exactly when its row does.
          await jobs.enqueue(VOICE_TRANSCRIBE, { transcriptionId: pending.id, post: props.post ?? false }, { trx });
          return pending;
        });
        queued = true;
        deps.metrics.record('transcribe', 'queue', 'queued');
      } else {
        const result = await deps.engines.transcribe(audio.pcm, { language });
        const attachmentId = await keepAsAttachment(deps, props);
        recorded = true;
        row = await insertTranscription(db, {
          ...base,
          progress: 1,
          text: result.text,
          segments: result.segments,
          duration_ms: audio.durationMs,
          engine: result.engine,
          fallbacks: result.fallbacks,
          attachment_id: attachmentId,
          completed_at: new Date(),
        });
        deps.metrics.record('transcribe', result.engine, 'ok', (performance.now() - started) / 1000);
      }
    }
    if (props.post && !queued) row = await postTranscript(db, bus, row);
    return { row, queued };
  } catch (error) {
    if (!recorded) {
      deps.metrics.record('transcribe', 'none', 'error');
      await storage
        .delete(upload.key)
        .catch((cleanup: unknown) => log.error({ err: cleanup, key: upload.key }, 'could not delete refused audio'));
    }
    throw error;
  }
}

/** Keeps the recording as an attachment of the conversation (when there is one); its id. */
async function keepAsAttachment(deps: Deps, props: Props): Promise<string | null> {
  if (!props.conversationId) return null;
  const { db, storage, log } = deps.services;
  const name = props.upload.name || 'recording';
  const attachment = await createAttachment(
    { db, storage, log },
    { actor: props.actor, conversationId: props.conversationId, file: { ...props.upload, name } },
  );
  return attachment.id;
}

const copyOfResult = (row: TranscriptionRow): Partial<TranscriptionRow> => ({
  progress: 1,
  text: row.text,
  segments: row.segments,
  duration_ms: row.duration_ms,
  engine: row.engine,
  fallbacks: row.fallbacks,
});

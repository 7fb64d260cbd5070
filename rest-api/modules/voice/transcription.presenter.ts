import type { TranscriptionRow } from './voice.repo.ts';

/** A transcription as its owner sees it. */
export function presentTranscription(row: TranscriptionRow) {
  return {
    id: row.id,
    status: row.status,
    progress: row.progress,
    text: row.text,
    language: row.language,
    durationMs: row.duration_ms,
    engine: row.engine,
    fallbacks: row.fallbacks,
    segments: row.segments,
    cached: row.cached,
    attachmentId: row.attachment_id,
    messageId: row.message_id,
    error: row.error,
    createdAt: row.created_at.toISOString(),
  };
}

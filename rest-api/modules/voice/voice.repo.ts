import type { Knex } from 'knex';
import type { EngineFailure } from '@shared/cloud/withFallback.ts';
import type { Segment } from '@shared/voice/types.ts';

export type TranscriptionStatus = 'pending' | 'running' | 'done' | 'failed';

export interface TranscriptionRow {
  id: string;
  user_id: string;
  conversation_id: string | null;
  attachment_id: string | null;
  message_id: string | null;
  sha256: string;
  language: string;
  status: TranscriptionStatus;
  progress: number;
  text: string;
  duration_ms: number;
  engine: string | null;
  fallbacks: EngineFailure[];
  segments: Segment[];
  error: { code: string; message: string } | null;
  cached: boolean;
  storage_key: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export type NewTranscription = Pick<TranscriptionRow, 'user_id' | 'sha256' | 'language' | 'status'> &
  Partial<Omit<TranscriptionRow, 'id' | 'created_at'>>;

const jsonColumns = (row: Partial<TranscriptionRow>) => ({
  ...row,
  ...(row.fallbacks ? { fallbacks: JSON.stringify(row.fallbacks) } : {}),
  ...(row.segments ? { segments: JSON.stringify(row.segments) } : {}),
  ...(row.error ? { error: JSON.stringify(row.error) } : {}),
});

export async function insertTranscription(db: Knex, row: NewTranscription): Promise<TranscriptionRow> {
  const [inserted] = (await db('voice_transcriptions').insert(jsonColumns(row)).returning('*')) as TranscriptionRow[];
  return inserted!;
}

export async function updateTranscription(db: Knex, id: string, changes: Partial<TranscriptionRow>): Promise<TranscriptionRow> {
  const [updated] = (await db('voice_transcriptions').where({ id }).update(jsonColumns(changes)).returning('*')) as TranscriptionRow[];
  return updated!;
}

/** One transcription, only if it is the user's: anyone else's is the same miss as none. */
export function findTranscriptionForUser(db: Knex, userId: string, id: string): Promise<TranscriptionRow | undefined> {
  return db<TranscriptionRow>('voice_transcriptions').where({ id, user_id: userId }).first();
}

export function findTranscription(db: Knex, id: string): Promise<TranscriptionRow | undefined> {
  return db<TranscriptionRow>('voice_transcriptions').where({ id }).first();
}

/** The latest finished transcription of the same bytes in the same language, whoever asked for it. */
export function findCachedTranscription(db: Knex, sha256: string, language: string): Promise<TranscriptionRow | undefined> {
  return db<TranscriptionRow>('voice_transcriptions').where({ sha256, language, status: 'done' }).orderBy('completed_at', 'desc').first();
}

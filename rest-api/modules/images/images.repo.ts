import type { Knex } from 'knex';
import type { EngineFailure } from '@shared/cloud/withFallback.ts';
import type { ImageMetadata } from '@shared/vision/decodeImage.ts';
import type { DetectedObject, RecognizedWord } from '@shared/vision/types.ts';
import type { ImageFeature } from '@shared/vision/VisionEngines.ts';

export type AnalysisStatus = 'pending' | 'running' | 'done' | 'failed';

export interface ImageAnalysisRow {
  id: string;
  user_id: string;
  conversation_id: string | null;
  attachment_id: string | null;
  sha256: string;
  features: ImageFeature[];
  status: AnalysisStatus;
  progress: number;
  cached: boolean;
  metadata: ImageMetadata | null;
  thumbnail_key: string | null;
  text: string;
  words: RecognizedWord[];
  objects: DetectedObject[];
  labels: string[];
  description: string;
  engines: Partial<Record<ImageFeature, string>>;
  fallbacks: EngineFailure[];
  error: { code: string; message: string } | null;
  storage_key: string;
  created_at: Date;
  completed_at: Date | null;
}

/** The fields an analysis's result sets. */
export type AnalysisResultFields = Pick<
  ImageAnalysisRow,
  'metadata' | 'thumbnail_key' | 'text' | 'words' | 'objects' | 'labels' | 'description' | 'engines' | 'fallbacks'
>;

type NewAnalysis = Pick<
  ImageAnalysisRow,
  'user_id' | 'conversation_id' | 'attachment_id' | 'sha256' | 'features' | 'status' | 'storage_key'
> &
  Partial<Pick<ImageAnalysisRow, 'cached' | 'progress' | 'completed_at'>> &
  Partial<AnalysisResultFields>;

const JSON_COLUMNS = ['metadata', 'words', 'objects', 'labels', 'engines', 'fallbacks', 'error'] as const;

/** node-postgres would send a JS array as a PostgreSQL array: jsonb columns get JSON text. */
function toColumns<T extends Record<string, unknown>>(fields: T): Record<string, unknown> {
  const columns: Record<string, unknown> = { ...fields };
  for (const column of JSON_COLUMNS) if (column in columns && columns[column] !== null) columns[column] = JSON.stringify(columns[column]);
  return columns;
}

export async function insertAnalysis(db: Knex, row: NewAnalysis): Promise<ImageAnalysisRow> {
  const [inserted] = await db<ImageAnalysisRow>('image_analyses').insert(toColumns(row)).returning('*');
  return inserted!;
}

export async function updateAnalysis(db: Knex, id: string, fields: Partial<ImageAnalysisRow>): Promise<ImageAnalysisRow | undefined> {
  const [updated] = await db<ImageAnalysisRow>('image_analyses').where({ id }).update(toColumns(fields)).returning('*');
  return updated;
}

export function findAnalysis(db: Knex, id: string): Promise<ImageAnalysisRow | undefined> {
  return db<ImageAnalysisRow>('image_analyses').where({ id }).first();
}

export function findAnalysisForUser(db: Knex, userId: string, id: string): Promise<ImageAnalysisRow | undefined> {
  return db<ImageAnalysisRow>('image_analyses').where({ id, user_id: userId }).first();
}

/**
 * A finished analysis of the same bytes for the same features (features in canonical order), if any.
 * One a cloud engine failed in is not reused: the next upload gets another chance at the better engine.
 */
export function findCachedAnalysis(db: Knex, sha256: string, features: readonly ImageFeature[]): Promise<ImageAnalysisRow | undefined> {
  return db<ImageAnalysisRow>('image_analyses')
    .where({ sha256, status: 'done' })
    .andWhereRaw('features = ?::text[]', [`{${features.join(',')}}`])
    .andWhereRaw("fallbacks = '[]'::jsonb")
    .orderBy('completed_at', 'desc')
    .first();
}

/** The latest finished analysis of each of the attachments. */
export function listAnalysesOfAttachments(db: Knex, attachmentIds: string[]): Promise<ImageAnalysisRow[]> {
  if (attachmentIds.length === 0) return Promise.resolve([]);
  return db<ImageAnalysisRow>('image_analyses')
    .distinctOn('attachment_id')
    .whereIn('attachment_id', attachmentIds)
    .andWhere({ status: 'done' })
    .orderBy([{ column: 'attachment_id' }, { column: 'completed_at', order: 'desc' }]);
}

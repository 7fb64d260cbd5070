import type { ImageAnalysisRow } from './images.repo.ts';

const thumbnailUrlOf = (row: ImageAnalysisRow) => (row.thumbnail_key ? `/api/image/analyses/${row.id}/thumbnail` : null);

/** An analysis as its owner sees it; where the bytes are stored and the GPS position stay private. */
export function presentAnalysis(row: ImageAnalysisRow) {
  return {
    id: row.id,
    status: row.status,
    progress: row.status === 'done' ? 1 : Number(row.progress),
    metadata: row.metadata,
    thumbnailUrl: thumbnailUrlOf(row),
    text: row.text,
    words: row.words,
    objects: row.objects,
    labels: row.labels,
    description: row.description,
    engines: row.engines,
    fallbacks: row.fallbacks,
    cached: row.cached,
    attachmentId: row.attachment_id,
    error: row.error,
    createdAt: row.created_at.toISOString(),
  };
}

/** The part of an analysis a message's readers see on its attachment. */
export function presentAttachmentAnalysis(row: ImageAnalysisRow) {
  return {
    id: row.id,
    width: row.metadata?.width ?? 0,
    height: row.metadata?.height ?? 0,
    thumbnailUrl: thumbnailUrlOf(row),
    text: row.text,
    objects: row.objects,
    description: row.description,
  };
}

import type { AttachmentAnalysis } from '../images/findAnalysesOfAttachments.ts';
import type { AttachmentRow } from './attachments.repo.ts';

/** An attachment as clients see it; where it is stored and who uploaded it stay private. */
export function presentAttachment(row: AttachmentRow & { analysis?: AttachmentAnalysis | null }) {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: row.created_at.toISOString(),
    // Messages' attachments carry their analysis (withAttachments); a fresh upload has none to tell.
    ...(row.analysis !== undefined ? { analysis: row.analysis } : {}),
  };
}

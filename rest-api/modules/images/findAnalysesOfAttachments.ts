import type { Knex } from 'knex';
import { listAnalysesOfAttachments } from './images.repo.ts';
import { presentAttachmentAnalysis } from './images.presenter.ts';

/** What a message's readers see of each analysed image among the attachments, by attachment id. */
export type AttachmentAnalysis = ReturnType<typeof presentAttachmentAnalysis>;

/** The analyses of the attachments that were analysed as images, by attachment id, in one query. */
export async function findAnalysesOfAttachments(db: Knex, attachmentIds: string[]): Promise<Map<string, AttachmentAnalysis>> {
  const rows = await listAnalysesOfAttachments(db, attachmentIds);
  return new Map(rows.map((row) => [row.attachment_id!, presentAttachmentAnalysis(row)]));
}

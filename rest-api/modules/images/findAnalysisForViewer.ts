import type { Knex } from 'knex';
import type { Principal } from '@shared/access/index.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findAttachmentForReader } from '../attachments/findAttachmentForReader.ts';
import { findAnalysis, type ImageAnalysisRow } from './images.repo.ts';

/**
 * An analysis, for whoever may see its image: the person who uploaded it, or — when it is an
 * attachment of a conversation — anyone who may read that conversation (a member, a share link's
 * holder). Missing and not-yours are the same 404.
 */
export async function findAnalysisForViewer(db: Knex, principal: Principal, id: string): Promise<ImageAnalysisRow> {
  const row = await findAnalysis(db, id);
  if (!row) throw new NotFoundError('Image analysis not found');
  if (principal.type === 'user' && principal.id === row.user_id) return row;
  if (!row.attachment_id) throw new NotFoundError('Image analysis not found');
  await findAttachmentForReader(db, principal, row.attachment_id).catch(() => {
    throw new NotFoundError('Image analysis not found');
  });
  return row;
}

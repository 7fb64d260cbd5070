import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { ConflictError } from '@shared/errors.ts';
import { findWorkspaceForActor, type WorkspaceForActor } from './findWorkspaceForActor.ts';
import { findMember, updateWorkspaceRow } from './workspaces.repo.ts';

interface Props {
  /** Must be the current owner. */
  actor: Actor;
  workspaceId: string;
  /** The new owner: an admin of the workspace already. */
  userId: string;
}

/**
 * Hands the workspace to another admin. The previous owner stays an admin and may then step down or
 * leave like anyone else.
 */
export async function transferOwnership(db: Knex, props: Props): Promise<WorkspaceForActor> {
  return db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'transferOwnership', { lock: 'update' });
    if (props.userId === workspace.owner_id) throw new ConflictError('You already own this workspace', 'already_owner');
    const target = await findMember(trx, workspace.id, props.userId);
    if (target?.role !== 'admin') throw new ConflictError('Ownership can only go to an admin of the workspace', 'target_not_admin');
    const updated = await updateWorkspaceRow(trx, workspace.id, { owner_id: props.userId });
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'ownership.transferred',
      subjectType: 'workspace',
      subjectId: workspace.id,
      data: { from: workspace.owner_id, to: props.userId },
    });
    return { ...updated, role: workspace.role };
  });
}

import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { findWorkspaceForActor, type WorkspaceForActor } from './findWorkspaceForActor.ts';
import { updateWorkspaceRow } from './workspaces.repo.ts';

interface Props {
  /** Must be an admin of the workspace. */
  actor: Actor;
  /** The workspace to rename. */
  id: string;
  /** The new display name; the slug stays, so links keep working. */
  name: string;
}

/** Renames a workspace. */
export async function updateWorkspace(db: Knex, props: Props): Promise<WorkspaceForActor> {
  return db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.id, 'update', { lock: 'update' });
    const updated = await updateWorkspaceRow(trx, workspace.id, { name: props.name });
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'workspace.updated',
      subjectType: 'workspace',
      subjectId: workspace.id,
      data: { name: { from: workspace.name, to: updated.name } },
    });
    return { ...updated, role: workspace.role };
  });
}

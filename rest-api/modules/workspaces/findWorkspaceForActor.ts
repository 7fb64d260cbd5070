import type { Knex } from 'knex';
import { canInWorkspace, type WorkspaceAction, type WorkspaceRole } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import { findWorkspaceRole } from '@shared/documents/findWorkspaceRole.ts';
import { ForbiddenError, NotFoundError } from '@shared/errors.ts';
import { findWorkspace, type WorkspaceLock, type WorkspaceRow } from './workspaces.repo.ts';

/** A workspace as one member sees it: the row and that member's role. */
export interface WorkspaceForActor extends WorkspaceRow {
  role: WorkspaceRole;
}

/**
 * Loads a workspace and checks the action. A non-member gets NotFoundError whatever the action, so a
 * workspace's existence is never revealed; a member lacking the right gets ForbiddenError. `lock` takes
 * a row lock for the caller's transaction (see WorkspaceLock) before the role is read.
 */
export async function findWorkspaceForActor(
  db: Knex,
  actor: Actor,
  id: string,
  action: WorkspaceAction,
  options: { lock?: WorkspaceLock } = {},
): Promise<WorkspaceForActor> {
  const row = await findWorkspace(db, id, options);
  const role = row ? await findWorkspaceRole(db, row.id, actor.id) : null;
  if (!row || !role) throw new NotFoundError('Workspace not found');
  if (!canInWorkspace(actor, action, { id: row.id, ownerId: row.owner_id, role })) throw new ForbiddenError();
  return { ...row, role };
}

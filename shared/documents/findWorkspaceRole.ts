import type { Knex } from 'knex';
import type { WorkspaceRole } from '../access/index.ts';

/** A user's role in a workspace, or null when they are not a member. Both servers ask it before `can()`. */
export async function findWorkspaceRole(db: Knex, workspaceId: string, userId: string): Promise<WorkspaceRole | null> {
  const row = await db('workspace_members')
    .where({ workspace_id: workspaceId, user_id: userId })
    .first<{ role: WorkspaceRole } | undefined>('role');
  return row?.role ?? null;
}

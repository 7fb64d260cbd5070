import type { Knex } from 'knex';
import { ConflictError } from '@shared/errors.ts';
import type { WorkspaceRow, MemberRow } from './workspaces.repo.ts';
import { countAdmins } from './workspaces.repo.ts';

/**
 * Throws when this member may not stop being an admin (by demotion, removal or leaving): a workspace
 * keeps at least one admin, and its owner stays an admin member until they transfer ownership. The
 * caller must hold the workspace row lock (`lock: 'update'`), so that two admins stepping down at
 * once are counted one after the other and cannot both pass.
 */
export async function assertMayGiveUpAdmin(db: Knex, workspace: WorkspaceRow, member: Pick<MemberRow, 'user_id' | 'role'>) {
  if (member.role === 'admin' && (await countAdmins(db, workspace.id)) <= 1) {
    throw new ConflictError('A workspace needs at least one admin', 'last_admin');
  }
  if (member.user_id === workspace.owner_id) {
    throw new ConflictError('The owner must transfer ownership before leaving or stepping down', 'owner_cannot_leave');
  }
}

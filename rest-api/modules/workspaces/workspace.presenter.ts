import { canInWorkspace, type WorkspaceAction } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import type { WorkspaceForActor } from './findWorkspaceForActor.ts';
import type { InvitationRow } from './invitations.repo.ts';
import type { MemberWithUser } from './workspaces.repo.ts';

const WORKSPACE_ACTIONS: WorkspaceAction[] = [
  'read',
  'createConversation',
  'update',
  'manageMembers',
  'invite',
  'delete',
  'transferOwnership',
];

/** A workspace as the asking member sees it, with the actions they may take. */
export function presentWorkspace(row: WorkspaceForActor, actor: Actor) {
  const facts = { id: row.id, ownerId: row.owner_id, role: row.role };
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    ownerId: row.owner_id,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    policies: Object.fromEntries(WORKSPACE_ACTIONS.map((action) => [action, canInWorkspace(actor, action, facts)])),
  };
}

/** A member as other members see them: account name and email, role, and whether they own the workspace. */
export function presentMember(row: MemberWithUser) {
  return {
    userId: row.user_id,
    name: row.name,
    email: row.email,
    role: row.role,
    isOwner: row.user_id === row.owner_id,
    joinedAt: row.created_at.toISOString(),
  };
}

/** An invitation by an explicit whitelist: its token exists only in the email, and its hash never leaves the database. */
export function presentInvitation(row: InvitationRow, now = new Date()) {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by,
    status: row.expires_at.getTime() > now.getTime() ? ('pending' as const) : ('expired' as const),
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    emailStatus: row.email_status ?? null,
  };
}

import type { Actor } from '../auth.ts';
import type { AccessLevel } from './levels.ts';

export const WORKSPACE_ROLES = ['admin', 'member', 'viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** What the access model needs of a workspace: its owner and the actor's role in it (null: not a member). */
export interface WorkspaceAccessFacts {
  id: string;
  ownerId: string;
  role: WorkspaceRole | null;
}

/**
 * What each role may do in a workspace — the one table rights come from (rows store only the role).
 * Deleting the workspace and transferring ownership belong to the owner alone, whatever the role.
 */
export const WORKSPACE_ROLE_RIGHTS = {
  admin: { read: true, createConversation: true, update: true, manageMembers: true, invite: true },
  member: { read: true, createConversation: true, update: false, manageMembers: false, invite: false },
  viewer: { read: true, createConversation: false, update: false, manageMembers: false, invite: false },
} as const satisfies Record<WorkspaceRole, Record<string, boolean>>;

export type WorkspaceAction = keyof (typeof WORKSPACE_ROLE_RIGHTS)['admin'] | 'delete' | 'transferOwnership';

/** The level a role holds on the workspace's conversations: viewers read, members write, admins manage. */
export const WORKSPACE_ROLE_CONVERSATION_LEVEL = {
  admin: 'manage',
  member: 'write',
  viewer: 'read',
} as const satisfies Record<WorkspaceRole, AccessLevel>;

/** May the actor do this in the workspace? */
export function canInWorkspace(actor: Actor | null, action: WorkspaceAction, workspace: WorkspaceAccessFacts): boolean {
  if (!actor || actor.type !== 'user' || !workspace.role) return false;
  if (action === 'delete' || action === 'transferOwnership') return actor.id === workspace.ownerId;
  return WORKSPACE_ROLE_RIGHTS[workspace.role][action];
}

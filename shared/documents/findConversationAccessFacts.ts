import type { Knex } from 'knex';
import type { ConversationAccessFacts, Principal, ShareAccessFacts, SharePermission } from '../access/index.ts';
import { findWorkspaceRole } from './findWorkspaceRole.ts';

interface AccessFactsRow {
  id: string;
  owner_id: string;
  workspace_id: string | null;
}

interface ShareRow {
  id: string;
  conversation_id: string;
  permission: SharePermission;
  revoked_at: Date | null;
  expires_at: Date | null;
}

/**
 * Loads what the access model needs to decide what `principal` may do to one conversation — its owner,
 * its workspace and the user's role there, or the share a share token names, as stored now (a service
 * account's scope travels with the principal) — or
 * undefined when there is no such conversation. The collab server calls it on every connection, so it
 * reads only the columns the policy looks at.
 */
export async function findConversationAccessFacts(
  db: Knex,
  id: string,
  principal: Principal,
): Promise<ConversationAccessFacts | undefined> {
  const row = await db<AccessFactsRow>('conversations').where({ id }).first('id', 'owner_id', 'workspace_id');
  if (!row) return undefined;
  const facts: ConversationAccessFacts = { id: row.id, ownerId: row.owner_id, workspaceId: row.workspace_id };
  if (principal.type === 'share') {
    facts.share = await findShareFacts(db, principal.shareId);
  } else if (principal.type === 'user' && row.workspace_id) {
    facts.workspaceRole = await findWorkspaceRole(db, row.workspace_id, principal.id);
  }
  return facts;
}

async function findShareFacts(db: Knex, shareId: string): Promise<ShareAccessFacts | null> {
  const share = await db<ShareRow>('shares')
    .where({ id: shareId })
    .first('id', 'conversation_id', 'permission', 'revoked_at', 'expires_at');
  if (!share) return null;
  return {
    id: share.id,
    conversationId: share.conversation_id,
    permission: share.permission,
    revokedAt: share.revoked_at,
    expiresAt: share.expires_at,
  };
}

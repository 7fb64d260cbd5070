import type { ServiceAccountListing } from './serviceAccounts.repo.ts';

/** A service account as operators see it: never its key, never its hash. */
export function presentServiceAccount(row: ServiceAccountListing) {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    workspaceIds: row.workspace_ids,
    conversationIds: row.conversation_ids,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

import type { ShareAccessFacts } from '@shared/access/index.ts';
import type { ShareRow } from './shares.repo.ts';

/** The access model's view of a share row. */
export function shareAccessFacts(row: ShareRow): ShareAccessFacts {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    permission: row.permission,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  };
}

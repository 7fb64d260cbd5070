import { can, type Principal } from '@shared/access/index.ts';
import type { Db } from '@shared/db.ts';
import { findConversationAccessFacts } from '@shared/documents/findConversationAccessFacts.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';

/** What a principal may do with a conversation's document right now. */
export type CollabAccess =
  /** The user's sessions were ended after this token was issued (its generation is older). */
  | { kind: 'session_revoked' }
  /** No such conversation, or nothing this principal may read: one answer, existence is never revealed. */
  | { kind: 'none' }
  | { kind: 'granted'; readOnly: boolean };

/**
 * The one decision behind a collab connection, asked when it authenticates (AuthExtension) and again
 * whenever an access event may have changed the answer (AccessEventsExtension).
 */
export async function currentAccess(
  deps: { db: Db; revocations: SessionRevocations },
  principal: Principal,
  conversationId: string,
  tokenGeneration: number | undefined,
): Promise<CollabAccess> {
  if (principal.type === 'user' && deps.revocations.isRevoked(principal.id, tokenGeneration ?? 0)) return { kind: 'session_revoked' };
  const facts = await findConversationAccessFacts(deps.db, conversationId, principal);
  if (!facts || !can(principal, 'read', facts)) return { kind: 'none' };
  return { kind: 'granted', readOnly: !can(principal, 'update', facts) };
}

import type { Actor } from '../auth.ts';
import type { ConversationAction } from './conversation.ts';
import type { AccessLevel } from './levels.ts';

/** Where a service account may act: every conversation of these workspaces, and these conversations. */
export interface ServiceAccountScope {
  workspaceIds: readonly string[];
  conversationIds: readonly string[];
}

/**
 * A service account, authenticated by its API key (`Bearer twk_…`): how the product's AI backend posts
 * `assistant` and `system` messages. It acts only inside its scope, and only on messages.
 */
export interface ServicePrincipal {
  type: 'service';
  /** The service account's id. */
  id: string;
  scope: ServiceAccountScope;
}

/** Who may call a route that takes API keys as well as people's access tokens. */
export type UserOrService = Actor | ServicePrincipal;

/**
 * What a service account may do to a conversation in its scope: read it and work with messages, its
 * own included (which messages it may edit or delete is message.ts's to say). Never rename, delete or
 * share a conversation: those are people's decisions.
 */
export const SERVICE_ACCOUNT_CONVERSATION_ACTIONS: ReadonlySet<ConversationAction> = new Set<ConversationAction>([
  'read',
  'postMessage',
  'editMessage',
  'deleteMessage',
]);

/** The level a service account holds on a conversation: write inside its scope, nothing outside. */
export function serviceAccountLevel(principal: ServicePrincipal, conversation: { id: string; workspaceId: string | null }): AccessLevel {
  const { conversationIds, workspaceIds } = principal.scope;
  const inScope =
    conversationIds.includes(conversation.id) || (conversation.workspaceId !== null && workspaceIds.includes(conversation.workspaceId));
  return inScope ? 'write' : 'none';
}

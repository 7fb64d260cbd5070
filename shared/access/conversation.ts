import type { Actor } from '../auth.ts';
import type { AccessLevel } from './levels.ts';
import { SHARE_PERMISSION_LEVEL, isShareLive, type ShareAccessFacts, type SharePrincipal } from './share.ts';
import { serviceAccountLevel, type ServicePrincipal } from './serviceAccount.ts';
import { WORKSPACE_ROLE_CONVERSATION_LEVEL, type WorkspaceRole } from './workspace.ts';

/** Whoever asks: a signed-in user, the holder of a share token, or a service account (an API key). */
export type Principal = Actor | SharePrincipal | ServicePrincipal;

/** A person: signed in, or holding a share link. The collab server takes only these (API keys open no documents). */
export type PersonPrincipal = Actor | SharePrincipal;

/** What the access model needs to know of a conversation; both servers load it the same way. */
export interface ConversationAccessFacts {
  id: string;
  ownerId: string;
  workspaceId: string | null;
  /** The asking user's role in the conversation's workspace; null or absent when not a member. */
  workspaceRole?: WorkspaceRole | null;
  /** For a share principal: the share its token names, as stored now. */
  share?: ShareAccessFacts | null;
}

/** What a conversation action needs, in level terms. One table: change a right here and both servers follow. */
export const CONVERSATION_ACTIONS = {
  read: 'read',
  comment: 'comment',
  update: 'write',
  postMessage: 'write',
  /** Edit one's own messages; which message may be edited or deleted is message.ts's to say. */
  editMessage: 'write',
  /** Delete one's own messages (managers and owners may delete others', message.ts). */
  deleteMessage: 'write',
  delete: 'manage',
  share: 'manage',
} as const satisfies Record<string, AccessLevel>;

export type ConversationAction = keyof typeof CONVERSATION_ACTIONS;

/**
 * The level a principal holds on a conversation. Pure and synchronous over already-loaded facts:
 * - a personal conversation: its owner manages it;
 * - a workspace conversation: the role decides (admin manage, member write, viewer read) — a member
 *   who is removed loses access even to what they created;
 * - a share token: the share's permission, while the share is live and names this conversation;
 * - a service account: write inside its scope (its workspaces and conversations), whoever owns the
 *   conversation — and only the actions serviceAccount.ts lists (index.ts › can).
 */
export function conversationAccessLevel(
  principal: Principal | null,
  conversation: ConversationAccessFacts,
  now: Date = new Date(),
): AccessLevel {
  if (!principal) return 'none';
  if (principal.type === 'share') {
    const share = conversation.share;
    if (!share || share.id !== principal.shareId || share.conversationId !== conversation.id) return 'none';
    if (principal.conversationId !== conversation.id || !isShareLive(share, now)) return 'none';
    return SHARE_PERMISSION_LEVEL[share.permission];
  }
  if (principal.type === 'service') return serviceAccountLevel(principal, conversation);
  if (conversation.workspaceId) {
    return conversation.workspaceRole ? WORKSPACE_ROLE_CONVERSATION_LEVEL[conversation.workspaceRole] : 'none';
  }
  return principal.id === conversation.ownerId ? 'manage' : 'none';
}

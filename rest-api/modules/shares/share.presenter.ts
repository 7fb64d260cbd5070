import { conversationPolicies, type SharePrincipal } from '@shared/access/index.ts';
import type { ConversationRow, MessageRow } from '../conversations/conversations.repo.ts';
import { presentAttachment } from '../attachments/attachment.presenter.ts';
import { shareAccessFacts } from './shareAccessFacts.ts';
import type { ShareRow } from './shares.repo.ts';

/** The link a share hands out: `APP_URL/share/<id>` (a trailing slash on APP_URL is not doubled). */
export function shareUrl(appUrl: string, shareId: string): string {
  return `${appUrl.replace(/\/+$/, '')}/share/${shareId}`;
}

/** A share as its managers see it. Never the password hash: only whether there is one. */
export function presentShare(row: ShareRow, appUrl: string) {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    permission: row.permission,
    url: shareUrl(appUrl, row.id),
    hasPassword: row.password_hash !== null,
    expiresAt: row.expires_at?.toISOString() ?? null,
    maxViews: row.max_views,
    viewCount: row.view_count,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** `{ data, pagination }` from a page of shares fetched with one extra row. */
/** A conversation as a share link shows it: which accounts own it and wrote in it, and where it lives, stay private. */
export function presentSharedConversation(row: ConversationRow, principal: SharePrincipal, share: ShareRow) {
  const facts = { id: row.id, ownerId: row.owner_id, workspaceId: row.workspace_id, share: shareAccessFacts(share) };
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    policies: conversationPolicies(principal, facts),
  };
}

/** A message as a share link shows it: without its author's account id. */
export function presentSharedMessage(row: MessageRow) {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    content: row.content,
    editedAt: row.edited_at?.toISOString() ?? null,
    // Downloadable with the view's share token as the bearer.
    attachments: (row.attachments ?? []).map(presentAttachment),
    // A code run's output is part of the conversation; who ran it is not shown, as for any message.
    execution: row.execution,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

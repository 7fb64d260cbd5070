import type { Knex } from 'knex';
import { withAttachments } from '../attachments/withAttachments.ts';
import { findConversation, listMessages, type ConversationRow, type MessageRow } from './conversations.repo.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';

/** A conversation with its first messages: what someone opening it by a link sees first. */
export interface ConversationOpening {
  conversation: ConversationRow;
  /** Oldest first, each with its attachments. */
  messages: Array<MessageRow & { attachments: AttachmentRow[] }>;
  /** True when the conversation holds more messages than `messages`. */
  hasMoreMessages: boolean;
}

/**
 * Reads a conversation and its first `limit` messages, for readers whose access was decided elsewhere
 * (a share link's viewers). Undefined when the conversation is gone. Two reads side by side; the
 * attachments come in one more query for the whole page.
 */
export async function readConversationOpening(db: Knex, conversationId: string, limit: number): Promise<ConversationOpening | undefined> {
  const [conversation, rows] = await Promise.all([findConversation(db, conversationId), listMessages(db, conversationId, { limit })]);
  if (!conversation) return undefined;
  const messages = await withAttachments(db, rows.slice(0, limit));
  return { conversation, messages, hasMoreMessages: rows.length > limit };
}

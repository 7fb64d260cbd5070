import type { ShownMessage } from '../views/messageList.ts';
import type { OutboxAction } from './outbox.ts';

/** A message in the outbox, as the list shows it until the server's copy arrives. */
export function pendingMessage(action: OutboxAction, authorId: string): ShownMessage {
  const content = (action.body as { content?: unknown }).content;
  return {
    id: action.key,
    role: 'user',
    author: authorId,
    content: typeof content === 'string' ? content : action.summary,
    createdAt: new Date(action.createdAt).toISOString(),
    editedAt: null,
    attachments: [],
    execution: null,
    isPending: true,
  };
}

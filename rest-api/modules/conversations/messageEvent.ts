import type { BusMessage } from '@shared/bus.ts';
import type { MessageRow } from './conversations.repo.ts';

/** A message as the bus carries it. */
export function busMessage(row: MessageRow): BusMessage {
  return {
    id: row.id, role: row.role, authorId: row.author_id, content: row.content,
    createdAt: row.created_at.toISOString(), editedAt: row.edited_at?.toISOString() ?? null,
  };
}

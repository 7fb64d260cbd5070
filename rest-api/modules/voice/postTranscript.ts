import type { Bus } from '@shared/bus.ts';
import type { Knex } from 'knex';
import { postMessage } from '../conversations/postMessage.ts';
import { updateTranscription, type TranscriptionRow } from './voice.repo.ts';

/** What a message says when the recording held no speech: the audio is still there to play. */
const NOTHING_HEARD = '🎤 (no speech heard)';

/**
 * Posts the transcript to the conversation as its owner's message, with the audio attached, through the
 * conversations module's own command: the open document and other viewers receive it live, as any post.
 */
export async function postTranscript(db: Knex, bus: Bus, row: TranscriptionRow): Promise<TranscriptionRow> {
  // Posted already (a retried job): once is enough.
  if (!row.conversation_id || !row.attachment_id || row.message_id) return row;
  const message = await postMessage(db, bus, {
    actor: { type: 'user', id: row.user_id },
    conversationId: row.conversation_id,
    role: 'user',
    content: row.text || NOTHING_HEARD,
    attachmentIds: [row.attachment_id],
  });
  return updateTranscription(db, row.id, { message_id: message.id });
}

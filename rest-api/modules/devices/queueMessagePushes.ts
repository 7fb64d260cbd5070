import type { BusEvents } from '@shared/bus.ts';
import type { Services } from '@shared/services.ts';
import { devicesOfReaders } from './devices.repo.ts';
import { PUSH_DELIVER, type PushNotification } from './pushQueue.ts';

/** The most of a message's text a notification shows, when the device allows previews. */
const PREVIEW_CHARACTERS = 140;

/**
 * Queues a push for every device of the conversation's readers but the author, when a message is
 * stored. Every API node hears `message.created`; the one that marks the message `push_queued_at`
 * first queues its pushes, in the same transaction, so each device gets one. Whether the person is
 * looking at that conversation right now is for the device to judge (the service worker does not show
 * a notification for the conversation open in a focused window).
 */
export async function queueMessagePushes(
  services: Pick<Services, 'db' | 'jobs'>,
  { conversationId, message }: BusEvents['message.created'],
): Promise<number> {
  const { db, jobs } = services;
  const devices = await devicesOfReaders(db, conversationId, message.authorId);
  if (devices.length === 0) return 0;
  return db.transaction(async (trx) => {
    const claimed = await trx('messages').where({ id: message.id }).whereNull('push_queued_at').update({ push_queued_at: trx.fn.now() });
    if (claimed === 0) return 0;
    const conversation = await trx('conversations').select('title').where({ id: conversationId }).first<{ title: string } | undefined>();
    if (!conversation) return 0;
    for (const device of devices) {
      const notification: PushNotification = {
        type: 'message',
        title: conversation.title,
        body: device.previews ? preview(message.content) : 'New message',
        url: `/c/${conversationId}`,
        conversationId,
        messageId: message.id,
      };
      await jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification }, { trx });
    }
    return devices.length;
  });
}

function preview(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARACTERS ? `${line.slice(0, PREVIEW_CHARACTERS - 1)}…` : line;
}

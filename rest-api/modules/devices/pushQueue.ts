import { z } from 'zod';
import { defineQueue, type QueueRef } from '@shared/jobs/defineQueue.ts';
import { sendExpoPush, type ExpoNotification } from '@shared/push/sendExpoPush.ts';
import { PushRejectedError, sendWebPush } from '@shared/push/sendWebPush.ts';
import type { VapidDetails } from '@shared/push/vapidKeys.ts';
import type { Services } from '@shared/services.ts';
import { deleteGoneDevice, findDevice, markPushed } from './devices.repo.ts';

/** What a notification carries to the device (the service worker shows it). Never a token or a secret. */
export const PushNotification = z.object({
  /**
   * A new message; an invitation to a workspace; a share link of yours used up; a backup that failed its
   * verification (operators); a test from the settings.
   */
  type: z.enum(['message', 'invitation', 'share', 'backup', 'test']),
  title: z.string(),
  /** A message's text only when the device allows previews; otherwise a neutral line. */
  body: z.string(),
  /** Where tapping it leads, inside the app. */
  url: z.string(),
  conversationId: z.uuid().optional(),
  messageId: z.uuid().optional(),
});
export type PushNotification = z.infer<typeof PushNotification>;

/** push.deliver: one notification to one device. */
export const PUSH_DELIVER = {
  name: 'push.deliver',
  payload: z.object({ deviceId: z.uuid(), notification: PushNotification }),
} satisfies QueueRef;

/** How long a push service is given to answer one push. */
const PUSH_TIMEOUT_MS = 10_000;
/** How long the push service keeps a push for a device that is offline: a day, then it is stale news. */
const PUSH_TTL_SECONDS = 24 * 60 * 60;

/**
 * Delivers pushes outside any request — Web Push to browsers, Expo's push API to the app — retried with
 * backoff when the push service is down or busy (429/5xx). A device the push service no longer knows
 * (404/410, Expo's DeviceNotRegistered) is deleted; any other refusal is logged and not retried.
 */
export function createPushDeliverQueue(services: Pick<Services, 'db' | 'config'>, vapid: () => Promise<VapidDetails>) {
  const { db, config } = services;
  return defineQueue({
    ...PUSH_DELIVER,
    expireInSeconds: 60,
    retryLimit: 6,
    retryDelaySeconds: 2,
    retryDelayMaxSeconds: 600,
    async handler({ deviceId, notification }, { log }) {
      const device = await findDevice(db, deviceId);
      if (!device) return { skipped: 'the device was removed' };
      try {
        const outcome =
          device.kind === 'webpush'
            ? await sendWebPush({ endpoint: device.address, keys: { p256dh: device.p256dh!, auth: device.auth! } }, notification, {
                vapid: await vapid(),
                privateHosts: config.PUSH_PRIVATE_HOSTS,
                timeoutMs: PUSH_TIMEOUT_MS,
                ttlSeconds: PUSH_TTL_SECONDS,
                // One waiting notification per conversation: a device that was away gets the latest, not a pile.
                ...(notification.conversationId ? { topic: notification.conversationId.replaceAll('-', '') } : {}),
              })
            : await sendExpoPush(device.address, expoNotificationOf(notification), config);
        if (!outcome.delivered) {
          await deleteGoneDevice(db, device);
          log.info({ deviceId, kind: device.kind }, 'push subscription gone: device removed');
          return { removed: true };
        }
        await markPushed(db, deviceId);
        return outcome;
      } catch (error) {
        if (!(error instanceof PushRejectedError)) throw error;
        log.warn({ deviceId, status: error.status }, 'push refused by the push service; not retried');
        return { refused: error.status };
      }
    },
  });
}

/** The app shows title and body; tapping it opens `url` (the data the app reads), one per conversation. */
function expoNotificationOf({ title, body, ...data }: PushNotification): ExpoNotification {
  return { title, body, data, ...(data.conversationId ? { collapseId: data.conversationId } : {}) };
}

import type { Services } from '@shared/services.ts';
import { devicesOfUsers } from './devices.repo.ts';
import { PUSH_DELIVER, type PushNotification } from './pushQueue.ts';

/**
 * Queues `notification` to every device of these users, in one transaction, through the same push.deliver job as
 * message notifications (retried while the push service is down; a device it no longer knows is removed). For pages
 * that are not about a conversation, such as a backup that failed its verification. Returns how many were queued.
 */
export async function queueUserPushes(
  services: Pick<Services, 'db' | 'jobs'>,
  userIds: string[],
  notification: PushNotification,
): Promise<number> {
  if (userIds.length === 0) return 0;
  const devices = await devicesOfUsers(services.db, userIds);
  if (devices.length === 0) return 0;
  await services.db.transaction(async (trx) => {
    for (const device of devices) await services.jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification }, { trx });
  });
  return devices.length;
}

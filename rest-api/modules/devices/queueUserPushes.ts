import type { Knex } from 'knex';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { devicesOfUsers } from './devices.repo.ts';
import { PUSH_DELIVER, type PushNotification } from './pushQueue.ts';

/**
 * Queues one notification for every device of some people — an invitation for them, a link of theirs
 * used up, a backup that failed its verification for the operators — through the same push.deliver
 * job as message notifications (retried while the push service is down; a device it no longer knows is
 * removed). Inside the caller's transaction when `db` is one, so the push goes out exactly when what it
 * announces commits; else in a transaction of its own. Returns how many devices it was queued for.
 */
export async function queueUserPushes(
  db: Knex,
  jobs: Pick<Jobs, 'enqueue'>,
  userIds: string[],
  notification: PushNotification,
): Promise<number> {
  if (userIds.length === 0) return 0;
  const devices = await devicesOfUsers(db, userIds);
  if (devices.length === 0) return 0;
  const enqueueAll = async (trx: Knex.Transaction) => {
    for (const device of devices) await jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification }, { trx });
  };
  await (db.isTransaction ? enqueueAll(db as Knex.Transaction) : db.transaction(enqueueAll));
  return devices.length;
}

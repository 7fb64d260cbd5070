import type { Knex } from 'knex';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { listDevices } from './devices.repo.ts';
import { PUSH_DELIVER, type PushNotification } from './pushQueue.ts';

/**
 * Queues one notification for every device of one person — an invitation for them, a link of theirs
 * used up. Inside the caller's transaction when it passes one, so the push goes out exactly when what
 * it announces commits. Returns how many devices it was queued for.
 */
export async function queueUserPushes(
  db: Knex,
  jobs: Pick<Jobs, 'enqueue'>,
  userId: string,
  notification: PushNotification,
): Promise<number> {
  const devices = await listDevices(db, userId);
  const trx = db.isTransaction ? (db as Knex.Transaction) : undefined;
  for (const device of devices) await jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification }, trx ? { trx } : {});
  return devices.length;
}

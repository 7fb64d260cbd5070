import { listOperators } from '@shared/operators.ts';
import type { BusEvents } from '@shared/bus.ts';
import type { Services } from '@shared/services.ts';
import type { DeviceRow } from '../devices/devices.repo.ts';
import { PUSH_DELIVER, type PushNotification } from '../devices/pushQueue.ts';

/** The most of the reason a notification shows: a lock screen is no place for a paragraph. */
const REASON_CHARACTERS = 140;

/**
 * Pages every operator's registered devices (Web Push, the Expo app) about a backup that failed verification,
 * through the same push.deliver job as message notifications: retried while the push service is down, a device it no
 * longer knows removed. Sent by the job that verified the backup, once. Returns how many pushes were queued.
 */
export function createVerificationFailurePusher(services: Pick<Services, 'db' | 'jobs'>) {
  return async (failure: BusEvents['backup.verification_failed']): Promise<number> => {
    const operatorIds = (await listOperators(services.db)).map((operator) => operator.id);
    if (operatorIds.length === 0) return 0;
    const devices = await services.db<DeviceRow>('devices').whereIn('user_id', operatorIds);
    const reason = `${failure.code}: ${failure.reason}`;
    const notification: PushNotification = {
      type: 'backup',
      title: 'A backup failed its verification',
      body: reason.length > REASON_CHARACTERS ? `${reason.slice(0, REASON_CHARACTERS - 1)}…` : reason,
      url: `/api/dr/backups/${failure.backupId}`,
    };
    await services.db.transaction(async (trx) => {
      for (const device of devices) await services.jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification }, { trx });
    });
    return devices.length;
  };
}

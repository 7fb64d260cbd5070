import { listOperators } from '@shared/operators.ts';
import type { BusEvents } from '@shared/bus.ts';
import type { Services } from '@shared/services.ts';
import { queueUserPushes } from '../devices/queueUserPushes.ts';

/** The most of the reason a notification shows: a lock screen is no place for a paragraph. */
const REASON_CHARACTERS = 140;

/**
 * Pages every operator's registered devices (Web Push, the Expo app) about a backup that failed verification, through
 * the devices module's push delivery. Sent by the job that verified the backup, once. Returns how many were queued.
 */
export function createVerificationFailurePusher(services: Pick<Services, 'db' | 'jobs'>) {
  return async (failure: BusEvents['backup.verification_failed']): Promise<number> => {
    const operatorIds = (await listOperators(services.db)).map((operator) => operator.id);
    const reason = `${failure.code}: ${failure.reason}`;
    return queueUserPushes(services.db, services.jobs, operatorIds, {
      type: 'backup',
      title: 'A backup failed its verification',
      body: reason.length > REASON_CHARACTERS ? `${reason.slice(0, REASON_CHARACTERS - 1)}…` : reason,
      url: `/api/dr/backups/${failure.backupId}`,
    });
  };
}

import { z } from 'zod';
import { ConflictError } from '@shared/errors.ts';
import { defineQueue, type QueueRef } from '@shared/jobs/defineQueue.ts';
import type { BusEvents } from '@shared/bus.ts';
import type { Services } from '@shared/services.ts';
import { beginBackup } from './beginBackup.ts';
import { createVerificationFailureEmailer } from './emailOperatorsOfFailure.ts';
import { createVerificationFailurePusher } from './pushOperatorsOfFailure.ts';
import { runBackup } from './runBackup.ts';
import { runRestore } from './runRestore.ts';
import { verifyBackup } from './verifyBackup.ts';

const BackupPayload = z.object({
  backupId: z.uuid().optional(),
  isScheduled: z.boolean().optional(),
  physicalType: z.enum(['full', 'incr']).optional(),
});
const VerifyPayload = z.object({ backupId: z.uuid() });
const RestorePayload = z.object({ restoreId: z.uuid() });

export const backupQueueRef: QueueRef<typeof BackupPayload> = { name: 'dr.backup', payload: BackupPayload };
export const verifyQueueRef: QueueRef<typeof VerifyPayload> = { name: 'dr.verify', payload: VerifyPayload };
export const restoreQueueRef: QueueRef<typeof RestorePayload> = { name: 'dr.restore', payload: RestorePayload };

/**
 * Pages the operators about a failed verification by email and by push to their devices; one channel failing does not
 * stop the other (the first failure is rethrown for the log once both were tried).
 */
function pageOperatorsOfFailure(services: Services) {
  const email = createVerificationFailureEmailer(services);
  const push = createVerificationFailurePusher(services);
  return async (failure: BusEvents['backup.verification_failed']): Promise<void> => {
    const results = await Promise.allSettled([email(failure), push(failure)]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
}

/**
 * The backup, verification and restore queues, and BACKUP_SCHEDULE. Backups and restores are long: the lease is a
 * heartbeat, and a backup whose process died is marked failed by its rerun rather than left `running`. A restore
 * never runs twice: in place, a second run would replace whatever was written since the first.
 */
export function registerDrJobs(services: Services): void {
  const { jobs } = services;
  const onFailure = pageOperatorsOfFailure(services);
  const backup = defineQueue({
    ...backupQueueRef,
    heartbeatSeconds: 30,
    retryLimit: 1,
    concurrency: 1,
    async handler({ backupId, isScheduled, physicalType }, { attempt, signal, progress, log }) {
      let id = backupId;
      if (isScheduled && !id) {
        try {
          id = (await beginBackup(services, { actorId: null, kind: 'logical' })).id;
        } catch (error) {
          if (error instanceof ConflictError) return (log.warn({ err: error }, 'scheduled backup skipped'), { skipped: error.code });
          throw error;
        }
      }
      if (!id) return { skipped: true };
      const row = await runBackup(services, id, {
        signal,
        onFailure,
        physicalType,
        isRerun: attempt > 0,
        onProgress: (p) =>
          void progress({
            message:
              p.percent === undefined
                ? `${p.phase}: ${p.bytes} bytes, ${p.tablesDone}/${p.tablesTotal} tables`
                : `${p.phase}: ${p.percent}%`,
          }).catch(() => {}),
      });
      return { backupId: id, status: row?.status ?? null };
    },
  });
  const verify = defineQueue({
    ...verifyQueueRef,
    heartbeatSeconds: 30,
    retryLimit: 0,
    concurrency: 1,
    async handler({ backupId }, { signal }) {
      const verification = await verifyBackup(services, backupId, { signal, onFailure });
      return { ok: verification?.ok ?? null };
    },
  });
  const restore = defineQueue({
    ...restoreQueueRef,
    // Not a heartbeat: in place, pg-boss's own tables are locked by the restore, and a missed beat would rerun it.
    expireInSeconds: 6 * 3600,
    retryLimit: 0,
    concurrency: 1,
    async handler({ restoreId }, { signal }) {
      const row = await runRestore(services, restoreId, { signal });
      return { status: row?.status ?? null };
    },
  });
  jobs.define(backup);
  jobs.define(verify);
  jobs.define(restore);
  jobs.schedule(backupQueueRef, services.config.BACKUP_SCHEDULE, { isScheduled: true });
}

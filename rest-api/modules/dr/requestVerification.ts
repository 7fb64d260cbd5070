import { writeAudit } from '@shared/audit.ts';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { findBackup, logicalBackupRecordOf, type BackupRow } from '@shared/backup/backups.repo.ts';
import { verifyQueueRef } from './drQueues.ts';
import type { DrServices } from './drServices.ts';

interface Props {
  actorId: string | null;
  backupId: string;
  ip?: string;
}

/** Verifies a stored backup again, as a job (a backup object can rot after it verified). 409 when there is nothing to verify. */
export async function requestVerification(services: DrServices & { jobs: Jobs }, props: Props): Promise<BackupRow> {
  const row = await findBackup(services.db, props.backupId);
  if (!row) throw new NotFoundError('Backup not found');
  if (row.status === 'running') throw new ConflictError('This backup is still being made', 'backup_in_progress');
  if (row.status === 'deleted') throw new ConflictError('This backup was deleted', 'backup_deleted');
  if (row.kind === 'logical') logicalBackupRecordOf(row);
  else if (!row.physical) throw new ConflictError('This backup has no stored physical backup to read', 'backup_not_restorable');
  return services.db.transaction(async (trx) => {
    // Not offered as a restore point while it is checked again: the answer may be that it rotted.
    const [verifying] = await trx<BackupRow>('backups').where({ id: row.id }).update({ status: 'verifying' }).returning('*');
    await writeAudit(trx, {
      actorId: props.actorId,
      action: 'backup.verify_requested',
      subjectType: 'backup',
      subjectId: row.id,
      ip: props.ip,
    });
    await services.jobs.enqueue(verifyQueueRef, { backupId: row.id }, { trx });
    return verifying!;
  });
}

import { writeAudit } from '@shared/audit.ts';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import { markBackupDeleted, type BackupRow } from '@shared/backup/backups.repo.ts';
import type { DrServices } from './drServices.ts';

interface Props {
  actorId: string | null;
  backupId: string;
  ip?: string;
}

/**
 * Deletes a backup: marks its row deleted (kept as history), then removes its object. Never the newest verified
 * backup, the default restore point (409 `last_verified_backup`); never one still being made or checked (409 `backup_busy`).
 */
export async function deleteBackup(services: DrServices, props: Props): Promise<void> {
  const row = await services.db.transaction(async (trx) => {
    // Verified rows locked: two deletes at once cannot each think the other's backup is the one that stays.
    const verified = await trx<BackupRow>('backups').where({ status: 'verified' }).orderBy('started_at', 'desc').forUpdate();
    const backup = await trx<BackupRow>('backups').where({ id: props.backupId }).first();
    if (!backup || backup.status === 'deleted') throw new NotFoundError('Backup not found');
    if (backup.status === 'running' || backup.status === 'verifying') {
      throw new ConflictError('This backup is still being made or verified', 'backup_busy');
    }
    if (verified[0]?.id === backup.id) {
      throw new ConflictError('This is the newest verified backup, the default restore point: it is never deleted', 'last_verified_backup');
    }
    await markBackupDeleted(trx, backup.id);
    await writeAudit(trx, {
      actorId: props.actorId,
      action: 'backup.deleted',
      subjectType: 'backup',
      subjectId: backup.id,
      ip: props.ip,
      data: { status: backup.status },
    });
    return backup;
  });
  try {
    await services.storage.delete(row.storage_key);
  } catch (error) {
    // The row already says deleted, so the backup is never offered again; the stray object only costs space.
    services.log.warn({ err: error, backupId: row.id }, 'deleting a backup object failed');
  }
}

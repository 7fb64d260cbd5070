import { writeAudit } from '@shared/audit.ts';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import { markBackupDeleted, type BackupRow } from '@shared/backup/backups.repo.ts';
import type { DrServices } from './drServices.ts';
import { expirePhysicalBackup, syncPhysicalRetention } from './physicalBackups.ts';

interface Props {
  actorId: string | null;
  backupId: string;
  ip?: string;
}

/**
 * Deletes a backup: marks its row deleted (kept as history), then removes its object (a physical one: pgBackRest
 * expires its set). Never the newest verified backup of its kind, the default restore point (409 `last_verified_backup`);
 * never one still being made or checked (409 `backup_busy`); never a physical one verified incrementals build on (409
 * `backup_has_dependents`).
 */
/** True when `row`'s chain of prior backups (pgBackRest labels) reaches `label`. */
function dependsOn(row: BackupRow, label: string, rows: BackupRow[]): boolean {
  const priorOf = new Map(
    rows.filter((candidate) => candidate.physical).map((candidate) => [candidate.physical!.label, candidate.physical!.priorLabel]),
  );
  // An incremental's label starts with its full's; the prior chain covers incrementals built on incrementals.
  if (row.physical!.label.startsWith(`${label}_`)) return true;
  for (let prior = row.physical!.priorLabel; prior; prior = priorOf.get(prior) ?? null) if (prior === label) return true;
  return false;
}

export async function deleteBackup(services: DrServices, props: Props): Promise<void> {
  const row = await services.db.transaction(async (trx) => {
    // Verified rows locked: two deletes at once cannot each think the other's backup is the one that stays.
    const verified = await trx<BackupRow>('backups').where({ status: 'verified' }).orderBy('started_at', 'desc').forUpdate();
    const backup = await trx<BackupRow>('backups').where({ id: props.backupId }).first();
    if (!backup || backup.status === 'deleted') throw new NotFoundError('Backup not found');
    if (backup.status === 'running' || backup.status === 'verifying') {
      throw new ConflictError('This backup is still being made or verified', 'backup_busy');
    }
    // Per kind: the newest logical backup does not stand in for point-in-time recovery, nor the other way round.
    if (verified.find((row) => row.kind === backup.kind)?.id === backup.id) {
      throw new ConflictError('This is the newest verified backup, the default restore point: it is never deleted', 'last_verified_backup');
    }
    if (backup.kind === 'physical' && backup.physical) {
      // pgBackRest expires a set with every incremental built on it: never take a verified one along.
      const label = backup.physical.label;
      const dependents = verified.filter((row) => row.physical && row.id !== backup.id && dependsOn(row, label, verified));
      if (dependents.length > 0) {
        throw new ConflictError('Verified incremental backups are built on this one: delete them first', 'backup_has_dependents');
      }
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
    if (row.kind === 'physical') {
      await expirePhysicalBackup(services, row);
      // Incrementals built on it went with it: their rows say so too.
      await syncPhysicalRetention(services);
    } else {
      await services.storage.delete(row.storage_key);
    }
  } catch (error) {
    // The row already says deleted, so the backup is never offered again; the stray object only costs space.
    services.log.warn({ err: error, backupId: row.id }, 'deleting a backup object failed');
  }
}

import { writeAudit } from '@shared/audit.ts';
import { markBackupDeleted, type BackupRow } from '@shared/backup/backups.repo.ts';
import type { DrServices } from './drServices.ts';
import { backupsToKeep, parseRetention } from './retention.ts';

/**
 * Deletes the verified backups BACKUP_RETENTION does not keep: their objects first, then their rows are marked
 * deleted. The newest verified backup is always kept; failed backups are left for an operator to look at.
 * Returns the ids deleted.
 */
export async function applyRetention(services: DrServices, now = new Date()): Promise<string[]> {
  const verified = await services
    .db<BackupRow>('backups')
    .where({ status: 'verified', kind: 'logical' })
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
  const kept = backupsToKeep(
    verified.map((row) => ({ id: row.id, startedAt: row.started_at })),
    parseRetention(services.config.BACKUP_RETENTION),
    now,
  );
  const log = services.log.child({ module: 'backups' });
  const deleted: string[] = [];
  for (const row of verified) {
    if (kept.has(row.id)) continue;
    try {
      await services.storage.delete(row.storage_key);
      await markPruned(services, row.id, { retention: services.config.BACKUP_RETENTION });
      deleted.push(row.id);
    } catch (error) {
      // The next verified backup tries again; nothing else depends on this one going now.
      log.warn({ err: error, backupId: row.id }, 'pruning an old backup failed');
    }
  }
  if (deleted.length > 0) log.info({ deleted, retention: services.config.BACKUP_RETENTION }, 'old backups pruned');
  return deleted;
}

/** Marks a backup deleted by retention (ours, or pgBackRest's expire), audited as nobody's doing. */
export async function markPruned(services: Pick<DrServices, 'db'>, backupId: string, data: Record<string, unknown>): Promise<void> {
  await markBackupDeleted(services.db, backupId);
  await writeAudit(services.db, { actorId: null, action: 'backup.pruned', subjectType: 'backup', subjectId: backupId, data });
}

import fs from 'node:fs/promises';
import { restoreLogicalBackup, type BackupProgress } from '@shared/backup/index.ts';
import { logicalBackupRecordOf, type BackupRow } from '@shared/backup/backups.repo.ts';
import { writeAudit } from '@shared/audit.ts';
import { createDb, pgliteDirectory } from '@shared/db.ts';
import type { Services } from '@shared/services.ts';
import { backupIoOf } from '../rest-api/modules/dr/drServices.ts';
import { readBookkeeping, writeBackBookkeeping } from '../rest-api/modules/dr/keepRestoreBookkeeping.ts';

/**
 * Replaces the embedded database with a backup, with the server stopped: the backup is restored into a new data
 * directory beside the live one, which is then moved aside (kept, as `<dir>.before-restore-<time>`) and replaced.
 * The list of backups and restores is carried across. Closes `services`; returns where the old directory went.
 */
export async function restoreEmbeddedInPlace(
  services: Services,
  backup: BackupRow,
  onProgress: (progress: BackupProgress) => void,
): Promise<string> {
  const dir = pgliteDirectory(services.config);
  const staging = `${dir}.restoring`;
  const aside = `${dir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const bookkeeping = await readBookkeeping(services.db);
  await fs.rm(staging, { recursive: true, force: true });
  await restoreLogicalBackup(logicalBackupRecordOf(backup), {
    ...backupIoOf(services),
    onProgress,
    target: { kind: 'pglite', dataDir: staging },
  });
  await services.close();
  await fs.rename(dir, aside);
  await fs.rename(staging, dir);
  const db = createDb(services.config);
  try {
    await writeBackBookkeeping(db, bookkeeping);
    await writeAudit(db, {
      actorId: null,
      action: 'backup.restored',
      subjectType: 'backup',
      subjectId: backup.id,
      data: { target: 'in-place', by: 'cli', previousDataDir: aside },
    });
  } finally {
    await db.destroy();
  }
  return aside;
}

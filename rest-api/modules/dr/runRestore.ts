import path from 'node:path';
import { writeAudit } from '@shared/audit.ts';
import { AppError } from '@shared/errors.ts';
import { restoreLogicalBackup, type BackupProgress, type RestoreTarget } from '@shared/backup/index.ts';
import { findBackup, logicalBackupRecordOf } from '@shared/backup/backups.repo.ts';
import { serialProgressWriter } from './backupProgress.ts';
import { backupIoOf, databaseUrlOf, type DrServices } from './drServices.ts';
import { holdInPlaceRestoreLock } from './inPlaceRestoreLock.ts';
import { readBookkeeping, writeBackBookkeeping } from './keepRestoreBookkeeping.ts';
import { pointInTimeOf, restorePhysicalInPlace, restorePhysicalToScratch } from './physicalBackups.ts';
import { mediaAfterRestore } from './backupMedia.ts';
import { findRestore, updateRestore, type RestoreRow } from './restores.repo.ts';

/** Where scratch restores of the embedded database go: a PGlite data directory per restore. */
export const scratchPgliteDir = (dataDir: string, name: string) => path.resolve(dataDir, 'restores', name);

/**
 * Runs a restore that requestRestore recorded. Scratch: into the new database named on the restore. In place: the
 * API goes read-only (inPlaceRestoreLock) while the backup replaces the live database's `public` schema in one
 * transaction (the job queue's schema is left as it is); the list of backups and restores is carried across, and the
 * lock goes when this ends, whatever happens.
 */
export async function runRestore(
  services: DrServices,
  restoreId: string,
  options: { onProgress?: (progress: BackupProgress) => void; signal?: AbortSignal } = {},
): Promise<RestoreRow | undefined> {
  const restore = await findRestore(services.db, restoreId);
  if (!restore || restore.status !== 'pending') return restore;
  const log = services.log.child({ module: 'restores', restoreId, backupId: restore.backup_id });
  const isInPlace = restore.target === 'in-place';
  // In place, the tables are locked by the restore itself: progress is only logged until it ends.
  const writer = serialProgressWriter(
    (progress) =>
      isInPlace ? Promise.resolve(log.info({ progress }, 'restoring in place')) : updateRestore(services.db, restoreId, { progress }),
    (error) => log.warn({ err: error }, 'recording restore progress failed'),
  );
  const io = {
    ...backupIoOf(services),
    signal: options.signal,
    onProgress: (progress: BackupProgress) => {
      writer.report(progress);
      options.onProgress?.(progress);
    },
  };
  await updateRestore(services.db, restoreId, { status: 'running' });
  let outcome: { status: 'succeeded' } | { status: 'failed'; error: { code: string; message: string } } = { status: 'succeeded' };
  let finished: RestoreRow | undefined;
  try {
    const backup = await findBackup(services.db, restore.backup_id);
    if (!backup) throw new AppError(409, 'backup_missing', 'The backup of this restore is gone');
    if (backup.kind === 'physical' && isInPlace) {
      const lock = await holdInPlaceRestoreLock(await databaseUrlOf(services));
      if (!lock) throw new AppError(409, 'restore_in_progress', 'Another in-place restore is running');
      try {
        const bookkeeping = await readBookkeeping(services.db);
        const result = await restorePhysicalInPlace(services, backup, {
          restoreId,
          pointInTime: pointInTimeOf(restore),
          onProgress: io.onProgress,
        });
        await writeBackBookkeeping(services.db, bookkeeping);
        await writer.flush();
        await updateRestore(services.db, restoreId, { result });
        finished = await finish(services, restore, outcome);
      } finally {
        await lock.release();
      }
      return finished;
    }
    if (backup.kind === 'physical') {
      const result = await restorePhysicalToScratch(services, backup, { pointInTime: pointInTimeOf(restore), onProgress: io.onProgress });
      await writer.flush();
      await updateRestore(services.db, restoreId, { result });
      log.info({ result: { ...result, tables: result.tables.length } }, 'point-in-time restore into a scratch cluster done');
      finished = await finish(services, restore, outcome);
      return finished;
    }
    const record = logicalBackupRecordOf(backup);
    if (isInPlace) {
      const lock = await holdInPlaceRestoreLock(await databaseUrlOf(services));
      if (!lock) throw new AppError(409, 'restore_in_progress', 'Another in-place restore is running');
      try {
        const bookkeeping = await readBookkeeping(services.db);
        await restoreLogicalBackup(record, {
          ...io,
          target: { kind: 'in-place', databaseUrl: await databaseUrlOf(services), schemas: ['public'] },
        });
        await writeBackBookkeeping(services.db, bookkeeping);
        finished = await finish(services, restore, outcome);
      } finally {
        await lock.release();
      }
    } else {
      const target: RestoreTarget = services.config.DATABASE_URL
        ? { kind: 'scratch', serverUrl: await databaseUrlOf(services), databaseName: restore.database_name! }
        : { kind: 'pglite', dataDir: scratchPgliteDir(services.config.DATA_DIR, restore.database_name!) };
      await restoreLogicalBackup(record, { ...io, target });
    }
  } catch (error) {
    if (finished) throw error;
    log.error({ err: error }, 'restore failed');
    outcome = {
      status: 'failed',
      error:
        error instanceof AppError
          ? { code: error.code, message: error.message }
          : { code: 'restore_failed', message: (error as Error).message },
    };
  }
  await writer.flush();
  if (finished) return finished;
  return finish(services, restore, outcome);
}

async function finish(
  services: DrServices,
  restore: RestoreRow,
  outcome: { status: 'succeeded' } | { status: 'failed'; error: { code: string; message: string } },
): Promise<RestoreRow | undefined> {
  let media: { checked: number; missing: string[] } | undefined;
  if (outcome.status === 'succeeded') {
    // The rows are back; the objects they point at live in storage, which a restore does not touch.
    const backup = await findBackup(services.db, restore.backup_id);
    media = backup
      ? await mediaAfterRestore(services, backup).catch((error: unknown) => {
          services.log.warn({ err: error, restoreId: restore.id }, 'checking the media after a restore failed');
          return undefined;
        })
      : undefined;
    if (media && media.missing.length > 0) {
      services.log.warn({ restoreId: restore.id, missing: media.missing.length }, 'restored rows point at media missing from storage');
    }
  }
  await updateRestore(services.db, restore.id, { ...outcome, media, finished: true });
  await writeAudit(services.db, {
    actorId: null,
    action: outcome.status === 'succeeded' ? 'backup.restored' : 'backup.restore_failed',
    subjectType: 'restore',
    subjectId: restore.id,
    data: { backupId: restore.backup_id, target: restore.target, databaseName: restore.database_name, requestedBy: restore.created_by },
  });
  services.log.info({ restoreId: restore.id, status: outcome.status }, 'restore finished');
  return findRestore(services.db, restore.id);
}

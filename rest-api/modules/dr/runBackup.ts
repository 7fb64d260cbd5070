import { AppError } from '@shared/errors.ts';
import { createLogicalBackup } from '@shared/backup/index.ts';
import { findBackup, recordBackupFailed, recordBackupMade, recordBackupProgress, type BackupRow } from '@shared/backup/backups.repo.ts';
import { applyRetention } from './applyRetention.ts';
import { serialProgressWriter } from './backupProgress.ts';
import { backupIoOf, backupSourceOf, type DrServices } from './drServices.ts';
import { recordMediaManifest } from './backupMedia.ts';
import { makePhysicalBackup, syncPhysicalRetention } from './physicalBackups.ts';
import { verifyBackup, type VerifyBackupOptions } from './verifyBackup.ts';

/** What a run reports as it goes, and what stops it. */
export interface RunOptions extends VerifyBackupOptions {
  /** A rerun of a job whose process died: a backup still `running` was cut off and is marked failed. */
  isRerun?: boolean;
  /** Physical backups: full or incremental (default: incremental when a full exists). */
  physicalType?: 'full' | 'incr';
}

/**
 * Makes the backup that beginBackup recorded, then verifies it at once, then applies BACKUP_RETENTION when it
 * verified. Storage failing part-way (or the dump failing) marks it `failed`: nothing half-written is listed as usable,
 * and the next backup can start. A backup that is already past `running` is only verified (a rerun after a crash).
 */
export async function runBackup(services: DrServices, backupId: string, options: RunOptions = {}): Promise<BackupRow | undefined> {
  const row = await findBackup(services.db, backupId);
  if (!row) return undefined;
  const log = services.log.child({ module: 'backups', backupId });
  if (row.status === 'running') {
    if (options.isRerun) {
      await recordBackupFailed(services.db, backupId, { code: 'backup_interrupted', message: 'The process making this backup stopped' });
      return findBackup(services.db, backupId);
    }
    const writer = serialProgressWriter(
      (progress) => recordBackupProgress(services.db, backupId, progress),
      (error) => log.warn({ err: error }, 'recording backup progress failed'),
    );
    try {
      if (row.kind === 'physical') {
        await makePhysicalBackup(services, row, {
          type: options.physicalType,
          onProgress: (progress) => {
            writer.report(progress);
            options.onProgress?.(progress);
          },
        });
        await writer.flush();
        log.info('physical backup stored; verifying it');
      } else {
        const result = await createLogicalBackup(await backupSourceOf(services), row.storage_key, {
          ...backupIoOf(services),
          signal: options.signal,
          onProgress: (progress) => {
            writer.report(progress);
            options.onProgress?.(progress);
          },
        });
        await writer.flush();
        await recordBackupMade(services.db, backupId, result);
        log.info({ bytes: result.bytes, durationMs: result.durationMs }, 'backup stored; verifying it');
      }
      await recordMediaManifest(services, backupId).catch((error: unknown) => {
        throw new AppError(503, 'backup_media_failed', `Reading or copying the attachments and media failed: ${(error as Error).message}`);
      });
    } catch (error) {
      await writer.flush();
      const failure =
        error instanceof AppError
          ? { code: error.code, message: error.message }
          : { code: 'backup_failed', message: `The backup failed: ${(error as Error).message}` };
      log.error({ err: error }, 'backup failed');
      await recordBackupFailed(services.db, backupId, failure);
      return findBackup(services.db, backupId);
    }
  }
  if ((await findBackup(services.db, backupId))?.status !== 'verifying') return findBackup(services.db, backupId);
  const verification = await verifyBackup(services, backupId, options);
  if (verification?.ok) {
    if (row.kind === 'physical') {
      await syncPhysicalRetention(services).catch((error: unknown) => log.warn({ err: error }, 'syncing physical retention failed'));
    } else {
      await applyRetention(services);
    }
  }
  return findBackup(services.db, backupId);
}

import { verifyLogicalBackup, type BackupProgress, type VerificationResult } from '@shared/backup/index.ts';
import { findBackup, logicalBackupRecordOf, recordBackupProgress, recordVerification } from '@shared/backup/backups.repo.ts';
import type { BusEvents } from '@shared/bus.ts';
import { serialProgressWriter } from './backupProgress.ts';
import { checkBackupMedia } from './backupMedia.ts';
import { verifyPhysicalBackup } from './physicalBackups.ts';
import { backupIoOf, databaseUrlOf, type DrServices } from './drServices.ts';

export interface VerifyBackupOptions {
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  /** Pages the operators beyond the bus and the log (email); its failure is logged, never the verification's. */
  onFailure?: (failure: BusEvents['backup.verification_failed']) => Promise<void>;
}

/**
 * Verifies a stored backup: restores it into a scratch database on the same server (or a temporary PGlite) and
 * compares it with what the backup recorded, then marks it `verified` or `failed` with the reason. A failure pages
 * the operator: `backup.verification_failed` on the bus and a log line at error level.
 */
export async function verifyBackup(
  services: DrServices,
  backupId: string,
  options: VerifyBackupOptions = {},
): Promise<VerificationResult | undefined> {
  const row = await findBackup(services.db, backupId);
  if (!row || row.status === 'deleted' || row.status === 'running') return undefined;
  const log = services.log.child({ module: 'backups', backupId });
  const writer = serialProgressWriter(
    (progress) => recordBackupProgress(services.db, backupId, progress),
    (error) => log.warn({ err: error }, 'recording backup progress failed'),
  );
  let verification: VerificationResult;
  try {
    const onProgress = (progress: BackupProgress) => {
      writer.report(progress);
      options.onProgress?.(progress);
    };
    verification =
      row.kind === 'physical'
        ? await verifyPhysicalBackup(services, row, { onProgress })
        : await verifyLogicalBackup(logicalBackupRecordOf(row), {
            ...backupIoOf(services),
            serverUrl: services.config.DATABASE_URL ? await databaseUrlOf(services) : undefined,
            signal: options.signal,
            onProgress,
          });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const code = (error as { code?: unknown }).code;
    verification = {
      ok: false,
      code: typeof code === 'string' ? code : 'backup_verification_failed',
      reason: (error as Error).message,
      durationMs: 0,
    };
  }
  await writer.flush();
  if (verification.ok) {
    // The database restored; the backup set also holds the media its rows point at.
    const media = await checkBackupMedia(services, row).catch((error: unknown) => ({
      ok: false as const,
      code: 'backup_media_unreadable',
      reason: `The media could not be checked: ${(error as Error).message}`,
    }));
    if (media && !media.ok) verification = { ok: false, code: media.code, reason: media.reason, durationMs: verification.durationMs };
  }
  await recordVerification(services.db, backupId, verification);
  if (verification.ok) {
    log.info({ durationMs: verification.durationMs }, 'backup verified');
  } else {
    log.error({ code: verification.code, reason: verification.reason }, 'backup verification failed');
    const failure = { backupId, code: verification.code, reason: verification.reason };
    // Paged first: whoever hears the event may count on the email and the pushes being queued.
    await options.onFailure?.(failure).catch((error: unknown) => log.error({ err: error }, 'paging the operators failed'));
    await services.bus
      .publish('backup.verification_failed', failure)
      .catch((error: unknown) => log.error({ err: error }, 'publishing a failed verification failed'));
  }
  return verification;
}

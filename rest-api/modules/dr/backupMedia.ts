import { recordBackupMedia, type BackupRow } from '@shared/backup/backups.repo.ts';
import { buildMediaManifest, checkMediaManifest, findMissingMedia, type MediaCheck } from '@shared/backup/mediaManifest.ts';
import { backupTargetStorageOf, type DrServices } from './drServices.ts';

/**
 * Takes the manifest of the attachments and media the database references (key, size, SHA-256) and records it with
 * the backup; with a backup target store configured, copies the objects there first (only those not there yet).
 */
export async function recordMediaManifest(services: DrServices, backupId: string): Promise<void> {
  const copyTo = backupTargetStorageOf(services.config);
  try {
    const manifest = await buildMediaManifest(services.db, services.storage, { copyTo });
    await recordBackupMedia(services.db, backupId, manifest);
    services.log
      .child({ module: 'backups', backupId })
      .info(
        { objects: manifest.objects.length, missing: manifest.missing.length, bytes: manifest.bytes, copy: manifest.copy },
        'media manifest recorded',
      );
  } finally {
    await copyTo?.close();
  }
}

/**
 * Checks the backup's media: every manifest entry present with the same SHA-256 — in the backup target store when the
 * objects were copied there (and it is still configured), else in the main store. Undefined for a backup without one.
 */
export async function checkBackupMedia(services: DrServices, row: BackupRow): Promise<MediaCheck | undefined> {
  if (!row.media) return undefined;
  const target = row.media.copy ? backupTargetStorageOf(services.config) : undefined;
  try {
    return await checkMediaManifest(row.media, target ?? services.storage, { copies: target !== undefined });
  } finally {
    await target?.close();
  }
}

/** After a restore: which of the backup's media objects the main store does not hold (rows that now point at nothing). */
export async function mediaAfterRestore(
  services: DrServices,
  backup: BackupRow,
): Promise<{ checked: number; missing: string[] } | undefined> {
  if (!backup.media) return undefined;
  return { checked: backup.media.objects.length, missing: await findMissingMedia(backup.media, services.storage) };
}

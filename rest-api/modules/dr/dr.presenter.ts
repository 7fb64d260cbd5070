import type { BackupProgress } from '@shared/backup/index.ts';
import type { BackupRow } from '@shared/backup/backups.repo.ts';
import { etaSeconds } from './backupProgress.ts';
import type { RestoreRow } from './restores.repo.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;
const presentProgress = (progress: BackupProgress | null, totalBytes: number | null) =>
  progress ? { ...progress, etaSeconds: etaSeconds(progress, totalBytes) } : null;

/** A backup as operators see it: never its storage key's contents, never the encryption key. */
export function presentBackup(row: BackupRow) {
  const bytes = row.bytes === null ? null : Number(row.bytes);
  const isActive = row.status === 'running' || row.status === 'verifying';
  const verification = row.verification;
  return {
    id: row.id,
    kind: row.kind,
    format: row.format,
    status: row.status,
    bytes,
    encrypted: row.encrypted,
    sha256: row.sha256,
    tables: row.tables?.map((table) => ({ name: table.name, rows: table.rows })) ?? null,
    durationMs: row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : null,
    verification: verification
      ? {
          ok: verification.ok,
          ...(verification.ok ? {} : { code: verification.code, reason: verification.reason }),
          durationMs: verification.durationMs,
          verifiedAt: iso(row.verified_at),
        }
      : null,
    error: row.error,
    // Progress while it runs; afterwards the row's own figures say it all.
    progress: isActive ? presentProgress(row.progress, row.status === 'verifying' ? bytes : null) : null,
    media: row.media
      ? {
          objects: row.media.objects.length,
          bytes: row.media.bytes,
          missing: row.media.missing,
          copy: row.media.copy ?? null,
        }
      : null,
    physical: row.physical
      ? {
          label: row.physical.label,
          type: row.physical.type,
          priorLabel: row.physical.priorLabel,
          databaseBytes: row.physical.databaseBytes,
          wal: row.physical.wal,
          lsn: row.physical.lsn,
          restorePoint: row.physical.restorePoint,
        }
      : null,
    startedAt: row.started_at.toISOString(),
    finishedAt: iso(row.finished_at),
    createdBy: row.created_by,
  };
}

export function presentRestore(row: RestoreRow) {
  return {
    id: row.id,
    backupId: row.backup_id,
    target: row.target,
    status: row.status,
    databaseName: row.database_name,
    forcedReason: row.forced_reason,
    targetTime: iso(row.target_time),
    targetLsn: row.target_lsn,
    result: row.result,
    media: row.media,
    progress: presentProgress(row.progress, null),
    error: row.error,
    createdAt: row.created_at.toISOString(),
    finishedAt: iso(row.finished_at),
  };
}

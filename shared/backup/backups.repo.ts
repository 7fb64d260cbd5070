import type { Knex } from 'knex';
import { ConflictError } from '../errors.ts';
import { isUniqueViolation } from '../db.ts';
import type { MediaManifest } from './mediaManifest.ts';
import type { VerificationResult } from './verifyLogicalBackup.ts';
import type { BackupProgress, LogicalBackupFormat, LogicalBackupRecord, LogicalBackupResult, TableStat } from './types.ts';

export type BackupKind = 'logical' | 'physical';

/** What a physical backup's row keeps of pgBackRest's record, and the restore point made right after it. */
export interface PhysicalBackupRecord {
  /** pgBackRest's label: what restore `--set` and expire `--set` take. */
  label: string;
  type: 'full' | 'diff' | 'incr';
  priorLabel: string | null;
  /** Size of the cluster when backed up; `bytes` on the row is what the backup takes in the repository. */
  databaseBytes: number;
  copiedBytes: number;
  wal: { start: string; stop: string };
  lsn: { start: string; stop: string };
  /** When pgBackRest started and stopped the backup (whole seconds). */
  backupStartedAt: string;
  backupStoppedAt: string;
  /** Its verification restores to this point and compares every table with `tables`. */
  restorePoint: { name: string; lsn: string; at: string };
}
export type BackupStatus = 'running' | 'verifying' | 'verified' | 'failed' | 'deleted';

export interface BackupRow {
  id: string;
  kind: BackupKind;
  format: string;
  status: BackupStatus;
  storage_key: string;
  /** bigint: node-postgres returns it as a string. */
  bytes: string | number | null;
  sha256: string | null;
  encrypted: boolean;
  tables: TableStat[] | null;
  verification: VerificationResult | null;
  error: { code: string; message: string } | null;
  progress: BackupProgress | null;
  /** Physical backups only. */
  physical: PhysicalBackupRecord | null;
  /** The attachments and media the backed-up database references (null before it is taken). */
  media: MediaManifest | null;
  started_at: Date;
  finished_at: Date | null;
  verified_at: Date | null;
  created_by: string | null;
}

/** node-postgres would send a JS array as a PostgreSQL array: jsonb columns get JSON text. */
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/**
 * Records a backup as running. Only one backup of a kind runs at a time (a partial unique index): a second is
 * refused with `backup_in_progress`, whichever process starts it.
 */
export async function insertRunningBackup(
  db: Knex,
  fields: { kind: BackupKind; format: string; storageKey: string; encrypted: boolean; createdBy?: string | null },
): Promise<BackupRow> {
  try {
    const [row] = await db<BackupRow>('backups')
      .insert({
        kind: fields.kind,
        format: fields.format,
        status: 'running',
        storage_key: fields.storageKey,
        encrypted: fields.encrypted,
        created_by: fields.createdBy ?? null,
      })
      .returning('*');
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A ${fields.kind} backup is already running`, 'backup_in_progress');
    throw error;
  }
}

/** Stores the latest progress of a running backup (or of its verification). */
export async function recordBackupProgress(db: Knex, id: string, progress: BackupProgress): Promise<void> {
  await db('backups')
    .where({ id })
    .update({ progress: json(progress) });
}

/** The backup is stored; it waits for its verification before it counts. */
export async function recordBackupMade(db: Knex, id: string, result: LogicalBackupResult): Promise<BackupRow | undefined> {
  const [row] = await db<BackupRow>('backups')
    .where({ id })
    .update({
      status: 'verifying',
      format: result.format,
      bytes: result.bytes,
      sha256: result.sha256,
      encrypted: result.encrypted,
      tables: json(result.tables) as unknown as TableStat[],
      finished_at: db.fn.now() as unknown as Date,
    })
    .returning('*');
  return row;
}

/** Records the manifest of attachments and media taken with a backup. */
export async function recordBackupMedia(db: Knex, id: string, media: MediaManifest): Promise<void> {
  await db('backups')
    .where({ id })
    .update({ media: json(media) });
}

/** A physical backup is in the repository, with its restore point: it waits for its verification before it counts. */
export async function recordPhysicalBackupMade(
  db: Knex,
  id: string,
  fields: { physical: PhysicalBackupRecord; repositoryBytes: number; tables: TableStat[] },
): Promise<BackupRow | undefined> {
  const [row] = await db<BackupRow>('backups')
    .where({ id })
    .update({
      status: 'verifying',
      storage_key: physicalStorageKey(id, fields.physical.label),
      bytes: fields.repositoryBytes,
      tables: json(fields.tables) as unknown as TableStat[],
      physical: json(fields.physical) as unknown as PhysicalBackupRecord,
      finished_at: db.fn.now() as unknown as Date,
    })
    .returning('*');
  return row;
}

/** A physical backup's storage key names its pgBackRest set (it is no object of ours): `pgbackrest:<label>`. */
export const physicalStorageKey = (_id: string, label: string) => `pgbackrest:${label}`;

/** Marks the backup verified or failed by what its verification found. */
export async function recordVerification(db: Knex, id: string, verification: VerificationResult): Promise<BackupRow | undefined> {
  const [row] = await db<BackupRow>('backups')
    .where({ id })
    .update({
      status: verification.ok ? 'verified' : 'failed',
      verification: json(verification) as unknown as VerificationResult,
      error: verification.ok ? null : (json({ code: verification.code, message: verification.reason }) as unknown as BackupRow['error']),
      verified_at: verification.ok ? (db.fn.now() as unknown as Date) : null,
    })
    .returning('*');
  return row;
}

/** The backup itself failed (the tool, the store, an abort): nothing usable was stored. */
export async function recordBackupFailed(db: Knex, id: string, error: { code: string; message: string }): Promise<void> {
  await db('backups')
    .where({ id })
    .update({ status: 'failed', error: json(error), finished_at: db.fn.now() });
}

/** Its object is gone: the row stays as history. */
export async function markBackupDeleted(db: Knex, id: string): Promise<void> {
  await db('backups').where({ id }).update({ status: 'deleted' });
}

export function findBackup(db: Knex, id: string): Promise<BackupRow | undefined> {
  return db<BackupRow>('backups').where({ id }).first();
}

/** Backups newest first, `limit` at a time, started before `before` when paging. */
export function listBackups(db: Knex, options: { limit: number; before?: Date }): Promise<BackupRow[]> {
  const query = db<BackupRow>('backups').orderBy([
    { column: 'started_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]);
  if (options.before) void query.where('started_at', '<', options.before);
  return query.limit(options.limit);
}

/** The default restore point: the newest verified backup (of `kind`, when given). A backup that has not verified never is. */
export function latestVerifiedBackup(db: Knex, kind?: BackupKind): Promise<BackupRow | undefined> {
  const query = db<BackupRow>('backups').where({ status: 'verified' }).orderBy('started_at', 'desc');
  if (kind) void query.where({ kind });
  return query.first();
}

/** What verifyLogicalBackup and restoreLogicalBackup need of a stored logical backup. */
export function logicalBackupRecordOf(row: BackupRow): LogicalBackupRecord {
  if (row.kind !== 'logical' || row.bytes === null || !row.sha256 || !row.tables) {
    throw new ConflictError('This backup has no stored logical backup to read', 'backup_not_restorable');
  }
  return {
    key: row.storage_key,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    tables: row.tables,
    format: row.format as LogicalBackupFormat,
    encrypted: row.encrypted,
  };
}

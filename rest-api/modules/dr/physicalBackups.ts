import { readFile } from 'node:fs/promises';
import { AppError } from '@shared/errors.ts';
import { createLogicalBackup, restoreLogicalBackup } from '@shared/backup/index.ts';
import type { Config } from '@shared/config.ts';
import type { BackupProgress, VerificationResult } from '@shared/backup/index.ts';
import { recordPhysicalBackupMade, type BackupRow, type PhysicalBackupRecord } from '@shared/backup/backups.repo.ts';
import { checkMigrations, knownMigrationNames } from '@shared/backup/migrationsCheck.ts';
import { firstDifference, readTableStats, type RunQuery } from '@shared/backup/tableStats.ts';
import {
  expireBackup,
  markRestorePoint,
  readBackupInfo,
  startScratchCluster,
  takeBackup,
  type PgBackRestStanza,
  type PhysicalBackupProgress,
  type RestoreTarget,
  type ScratchCluster,
} from '@shared/backup/physical/index.ts';
import type pg from 'pg';
import { NotConfiguredError } from './beginBackup.ts';
import { markPruned } from './applyRetention.ts';
import { backupIoOf, databaseUrlOf, type DrServices } from './drServices.ts';
import { parseDatabaseUrl } from '@shared/failover/parseDatabaseUrl.ts';
import type { RestoreResult } from './restores.repo.ts';

/** The pgBackRest stanza this deployment backs up, or undefined when PGBACKREST_STANZA/PGBACKREST_CONFIG are unset. */
export function physicalStanzaOf(config: Config): PgBackRestStanza | undefined {
  if (!config.PGBACKREST_STANZA || !config.PGBACKREST_CONFIG) return undefined;
  return { stanza: config.PGBACKREST_STANZA, configPath: config.PGBACKREST_CONFIG, osUser: config.PGBACKREST_OS_USER };
}

/** The stanza, or 501 `physical_backups_not_configured` (also on the embedded database, which pgBackRest cannot copy). */
export function requirePhysicalStanza(config: Config): PgBackRestStanza {
  const stanza = physicalStanzaOf(config);
  if (!stanza || !config.DATABASE_URL) {
    throw new NotConfiguredError(
      'physical_backups_not_configured',
      'Physical backups (pgBackRest, point-in-time recovery) are not configured on this deployment: ' +
        'set PGBACKREST_STANZA and PGBACKREST_CONFIG, or make a logical backup',
    );
  }
  return stanza;
}

/** Whether the repository is encrypted, as the config says (the passphrase itself is never read into this process). */
export async function isRepositoryEncrypted(config: Config): Promise<boolean> {
  const text = await readFile(config.PGBACKREST_CONFIG!, 'utf8').catch(() => '');
  return /^repo1-cipher-type=(?!none)\S+/m.test(text);
}

/** A point-in-time restore's target (a moment or a WAL position); null: the backup's own restore point. */
export type PointInTimeTarget = { time: Date } | { lsn: string } | null;

/** The target a restore row asks for. */
export function pointInTimeOf(restore: { target_time: Date | null; target_lsn: string | null }): PointInTimeTarget {
  if (restore.target_time) return { time: restore.target_time };
  return restore.target_lsn ? { lsn: restore.target_lsn } : null;
}

/** The database the app runs on: the one a physical verification or restore checks inside the restored cluster. */
const appDatabaseName = (config: Config) => {
  // A URL naming several servers (host1:5432,host2:5432) is no WHATWG URL; one of its servers' is.
  const url = parseDatabaseUrl(config.DATABASE_URL!);
  const single = url ? url.urlFor(url.hosts[0]!) : config.DATABASE_URL!;
  return decodeURIComponent(new URL(single).pathname.slice(1)) || 'postgres';
};

/** pgBackRest's per-file progress, as the API's backup progress. */
function progressFrom(phase: BackupProgress['phase'], startedAt: number, progress: PhysicalBackupProgress): BackupProgress {
  return {
    phase,
    bytes: 0,
    tablesDone: 0,
    tablesTotal: 0,
    elapsedMs: Math.round(performance.now() - startedAt),
    percent: progress.percent,
  };
}

/**
 * Takes a physical backup (incremental when a full exists to build on, full otherwise), makes a restore point right
 * after it and records both, with every table's row count and checksum at that point. The row is left `verifying`.
 */
export async function makePhysicalBackup(
  services: DrServices,
  row: BackupRow,
  options: { type?: 'full' | 'incr'; onProgress?: (progress: BackupProgress) => void },
): Promise<void> {
  const stanza = requirePhysicalStanza(services.config);
  const startedAt = performance.now();
  const info = await readBackupInfo(stanza);
  const backup = await takeBackup(stanza, {
    type: options.type ?? (info.backups.length > 0 ? 'incr' : 'full'),
    onProgress: (progress) => options.onProgress?.(progressFrom('dumping', startedAt, progress)),
  });
  const point = await markRestorePoint(await databaseUrlOf(services), `twinmcp-backup-${row.id}`);
  const physical: PhysicalBackupRecord = {
    label: backup.label,
    type: backup.type,
    priorLabel: backup.priorLabel,
    databaseBytes: backup.databaseBytes,
    copiedBytes: backup.copiedBytes,
    wal: backup.wal,
    lsn: backup.lsn,
    backupStartedAt: backup.startedAt.toISOString(),
    backupStoppedAt: backup.stoppedAt.toISOString(),
    restorePoint: { name: point.name, lsn: point.lsn, at: point.at.toISOString() },
  };
  await recordPhysicalBackupMade(services.db, row.id, { physical, repositoryBytes: backup.repositoryBytes, tables: point.tables });
}

/** Restores into a scratch cluster, runs `work` on the app's database there, and removes the cluster unless `keep`. */
async function inScratchCluster<T>(
  services: DrServices,
  target: RestoreTarget,
  backupLabel: string,
  options: { keep: boolean; onProgress?: (progress: BackupProgress) => void },
  work: (query: RunQuery, cluster: ScratchCluster) => Promise<T>,
): Promise<T> {
  const { config } = services;
  const startedAt = performance.now();
  const cluster = await startScratchCluster(requirePhysicalStanza(config), {
    target,
    backupLabel,
    pgBinDirectory: config.PGBACKREST_PG_BIN_DIR,
    scratchDirectory: config.PGBACKREST_SCRATCH_DIR,
    onProgress: (progress) => options.onProgress?.(progressFrom('restoring', startedAt, progress)),
  });
  try {
    const result = await cluster.withClient(appDatabaseName(config), async (client: pg.Client) => {
      const query: RunQuery = async <R>(sql: string) => (await client.query(sql)).rows as R[];
      await query('begin isolation level repeatable read');
      try {
        return await work(query, cluster);
      } finally {
        await query('rollback');
      }
    });
    if (options.keep) await cluster.stop();
    return result;
  } finally {
    if (!options.keep) await cluster.remove();
  }
}

/**
 * Verifies a physical backup: restores it into a scratch cluster to the restore point made right after it, runs the
 * migrations' check on the app's database there and compares every table's row count and sample checksum with what
 * was recorded at that point. The scratch cluster is removed afterwards.
 */
export async function verifyPhysicalBackup(
  services: DrServices,
  row: BackupRow,
  options: { onProgress?: (progress: BackupProgress) => void } = {},
): Promise<VerificationResult> {
  const startedAt = performance.now();
  const durationMs = () => Math.round(performance.now() - startedAt);
  const physical = row.physical;
  if (!physical || !row.tables) return { ok: false, code: 'backup_not_restorable', reason: 'This backup was never stored', durationMs: 0 };
  const known = await knownMigrationNames();
  return inScratchCluster(
    services,
    { restorePoint: physical.restorePoint.name },
    physical.label,
    { keep: false, onProgress: options.onProgress },
    async (query): Promise<VerificationResult> => {
      options.onProgress?.({ phase: 'comparing', bytes: 0, tablesDone: 0, tablesTotal: row.tables!.length, elapsedMs: durationMs() });
      const migrations = await checkMigrations(query, known);
      if (!migrations.ok) return { ok: false, code: migrations.code, reason: migrations.reason, durationMs: durationMs() };
      const tables = await readTableStats(query);
      const difference = firstDifference(row.tables!, tables);
      if (difference) return { ok: false, code: 'backup_mismatch', reason: difference, durationMs: durationMs() };
      return { ok: true, tables, migrations: { applied: migrations.applied, pending: migrations.pending }, durationMs: durationMs() };
    },
  );
}

/**
 * Restores into a scratch cluster as of its point in time (a moment or a WAL position; without one, the backup's own
 * restore point), checks the app's database there (migrations, row counts) and leaves the cluster stopped for the
 * operator to start.
 */
export async function restorePhysicalToScratch(
  services: DrServices,
  backup: BackupRow,
  options: { pointInTime: PointInTimeTarget; onProgress?: (progress: BackupProgress) => void },
): Promise<RestoreResult> {
  const startedAt = performance.now();
  const physical = backup.physical!;
  const target: RestoreTarget = options.pointInTime ?? { restorePoint: physical.restorePoint.name };
  const known = await knownMigrationNames();
  return inScratchCluster(services, target, physical.label, { keep: true, onProgress: options.onProgress }, async (query, cluster) => {
    const migrations = await checkMigrations(query, known);
    const tables = await readTableStats(query);
    return {
      dataDirectory: cluster.dataDirectory,
      backupLabel: cluster.backup.label,
      migrations: migrations.ok ? { applied: migrations.applied, pending: migrations.pending } : { applied: 0, pending: known },
      tables: tables.map((table) => ({ name: table.name, rows: table.rows })),
      durationMs: Math.round(performance.now() - startedAt),
    };
  });
}

/**
 * Point-in-time recovery of the app's database in place, without stopping the cluster (which holds other databases,
 * and this process's own connections): the cluster is restored to the moment in a scratch cluster, checked, and its
 * app database dumped and restored over the live one's `public` schema in one transaction (restoreLogicalBackup,
 * as a logical in-place restore does). The caller holds the read-only lock and carries the bookkeeping across.
 */
export async function restorePhysicalInPlace(
  services: DrServices,
  backup: BackupRow,
  options: { restoreId: string; pointInTime: PointInTimeTarget; onProgress?: (progress: BackupProgress) => void },
): Promise<RestoreResult> {
  const startedAt = performance.now();
  const physical = backup.physical!;
  const target: RestoreTarget = options.pointInTime ?? { restorePoint: physical.restorePoint.name };
  const known = await knownMigrationNames();
  const { config } = services;
  return inScratchCluster(services, target, physical.label, { keep: false, onProgress: options.onProgress }, async (query, cluster) => {
    const migrations = await checkMigrations(query, known);
    if (!migrations.ok) throw new AppError(409, migrations.code, migrations.reason);
    const tables = await readTableStats(query);
    // Staged in the backup store, encrypted like any backup, and removed once restored.
    const key = `backups/pitr/${options.restoreId}.dump.zst`;
    const io = backupIoOf(services);
    try {
      const record = await createLogicalBackup({ kind: 'postgres', databaseUrl: cluster.connectionUrl(appDatabaseName(config)) }, key, io);
      await restoreLogicalBackup(record, {
        ...io,
        onProgress: options.onProgress,
        target: { kind: 'in-place', databaseUrl: await databaseUrlOf(services), schemas: ['public'] },
      });
    } finally {
      await io.storage.delete(key).catch(() => undefined);
    }
    return {
      dataDirectory: null,
      backupLabel: cluster.backup.label,
      migrations: { applied: migrations.applied, pending: migrations.pending },
      tables: tables.map((table) => ({ name: table.name, rows: table.rows })),
      durationMs: Math.round(performance.now() - startedAt),
    };
  });
}

/** Removes a physical backup from the repository (pgBackRest expire), with the incrementals built on it. */
export async function expirePhysicalBackup(services: DrServices, row: BackupRow): Promise<void> {
  if (!row.physical) return;
  await expireBackup(requirePhysicalStanza(services.config), row.physical.label);
}

/**
 * pgBackRest's retention (repo1-retention-full, expired after each backup) is the physical one: rows whose set the
 * repository no longer holds are marked deleted, so they are never offered as restore points. Returns their ids.
 */
export async function syncPhysicalRetention(services: DrServices): Promise<string[]> {
  const stanza = physicalStanzaOf(services.config);
  if (!stanza) return [];
  const labels = new Set((await readBackupInfo(stanza)).backups.map((backup) => backup.label));
  const rows = await services.db<BackupRow>('backups').where({ kind: 'physical' }).whereIn('status', ['verified', 'failed']);
  const gone = rows.filter((row) => row.physical && !labels.has(row.physical.label));
  for (const row of gone) {
    await markPruned(services, row.id, { label: row.physical!.label, by: 'pgbackrest-retention' });
  }
  if (gone.length > 0) services.log.child({ module: 'backups' }).info({ deleted: gone.map((row) => row.id) }, 'expired physical backups');
  return gone.map((row) => row.id);
}

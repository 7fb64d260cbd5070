import pg from 'pg';
import { AppError } from '../errors.ts';
import { openPgliteBackup, pgliteQuery, readPgliteStats } from './backupPglite.ts';
import { checkBackupObject, createProgressReporter } from './backupStreams.ts';
import { checkMigrations, knownMigrationNames, type MigrationsCheck } from './migrationsCheck.ts';
import { restoreArchiveInto } from './pgRestore.ts';
import { createScratchDatabase, scratchDatabaseName } from './scratchDatabase.ts';
import { firstDifference, readTableStats, type RunQuery } from './tableStats.ts';
import type { BackupIo, LogicalBackupRecord, TableStat } from './types.ts';

export type VerificationResult =
  | { ok: true; tables: TableStat[]; migrations: { applied: number; pending: string[] }; durationMs: number }
  | { ok: false; code: string; reason: string; durationMs: number };

export interface VerifyOptions extends BackupIo {
  /** pg_dump backups: a database URL on the server to restore into; its role needs CREATEDB. */
  serverUrl?: string;
  /** Prefix of the scratch database's name. Default twinmcp_restore. */
  scratchPrefix?: string;
  /** The migrations the restored schema is held against. Default: this code's. */
  knownMigrations?: string[];
}

/**
 * Proves a backup restores: reads the object back (SHA-256, decryption, decompression), restores it into a scratch
 * database (PostgreSQL, dropped afterwards whatever happens) or a temporary in-memory PGlite, checks its schema
 * history (checkMigrations) and compares every table's row count and sample checksum with what was recorded.
 * A backup that fails says why ({ ok: false, code, reason }); only an abort throws.
 */
export async function verifyLogicalBackup(record: LogicalBackupRecord, options: VerifyOptions): Promise<VerificationResult> {
  const startedAt = performance.now();
  const progress = createProgressReporter(options.onProgress, startedAt);
  const elapsed = () => Math.round(performance.now() - startedAt);
  try {
    progress.update({ phase: 'checking', tablesTotal: record.tables.length });
    await checkBackupObject(options, record, (bytes) => progress.update({ bytes }));
    const known = options.knownMigrations ?? (await knownMigrationNames());
    const restored =
      record.format === 'pg_dump_custom+zstd'
        ? await verifyInScratchDatabase(record, options, progress, known)
        : await verifyInPglite(record, options, progress, known);
    progress.update({ phase: 'comparing' });
    progress.flush();
    if (!restored.migrations.ok)
      return { ok: false, code: restored.migrations.code, reason: restored.migrations.reason, durationMs: elapsed() };
    const difference = firstDifference(record.tables, restored.tables);
    if (difference)
      return { ok: false, code: 'backup_mismatch', reason: `The restored copy differs: ${difference}`, durationMs: elapsed() };
    const { applied, pending } = restored.migrations;
    return { ok: true, tables: restored.tables, migrations: { applied, pending }, durationMs: elapsed() };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const code = error instanceof AppError ? error.code : 'backup_verification_failed';
    return { ok: false, code, reason: (error as Error).message, durationMs: elapsed() };
  }
}

type Restored = { tables: TableStat[]; migrations: MigrationsCheck };

async function verifyInScratchDatabase(
  record: LogicalBackupRecord,
  options: VerifyOptions,
  progress: ReturnType<typeof createProgressReporter>,
  known: string[],
): Promise<Restored> {
  if (!options.serverUrl) throw new TypeError('Verifying a PostgreSQL backup needs serverUrl');
  const scratch = await createScratchDatabase(options.serverUrl, scratchDatabaseName(options.scratchPrefix));
  try {
    await restoreArchiveInto(scratch.url, record, options, { clean: false, progress });
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const query: RunQuery = async <T>(sql: string) => (await client.query(sql)).rows as T[];
      await query('begin isolation level repeatable read read only');
      const migrations = await checkMigrations(query, known);
      const tables = await readTableStats(query);
      await query('commit');
      return { tables, migrations };
    } finally {
      await client.end();
    }
  } finally {
    await scratch.drop();
  }
}

async function verifyInPglite(
  record: LogicalBackupRecord,
  options: VerifyOptions,
  progress: ReturnType<typeof createProgressReporter>,
  known: string[],
): Promise<Restored> {
  progress.update({ phase: 'restoring', bytes: 0 });
  const pglite = await openPgliteBackup(record, options, { progress });
  try {
    return { migrations: await checkMigrations(pgliteQuery(pglite), known), tables: await readPgliteStats(pglite) };
  } finally {
    await pglite.close();
  }
}

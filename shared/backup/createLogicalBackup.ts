import type { PGlite } from '@electric-sql/pglite';
import { backupPglite } from './backupPglite.ts';
import { backupPostgres } from './backupPostgres.ts';
import type { BackupIo, LogicalBackupResult } from './types.ts';

/** The database a logical backup reads: PostgreSQL by URL (pg_dump connects on its own), or the embedded PGlite instance. */
export type BackupSource = { kind: 'postgres'; databaseUrl: string } | { kind: 'pglite'; pglite: PGlite };

/** Makes a logical backup of `source` at storage key `key` (see index.ts for the pipeline). */
export async function createLogicalBackup(source: BackupSource, key: string, io: BackupIo): Promise<LogicalBackupResult> {
  return source.kind === 'postgres' ? backupPostgres(source.databaseUrl, key, io) : backupPglite(source.pglite, key, io);
}

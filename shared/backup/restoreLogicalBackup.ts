import { ValidationError } from '../errors.ts';
import { openPgliteBackup } from './backupPglite.ts';
import { checkBackupObject, createProgressReporter } from './backupStreams.ts';
import { restoreArchiveInto } from './pgRestore.ts';
import { createScratchDatabase, scratchDatabaseName } from './scratchDatabase.ts';
import type { BackupIo, LogicalBackupRecord } from './types.ts';

/** Where a restore goes. */
export type RestoreTarget =
  /** A new database on the server of `serverUrl` (its role needs CREATEDB), named `databaseName` or a fresh scratch name. */
  | { kind: 'scratch'; serverUrl: string; databaseName?: string }
  /**
   * The live database itself: every object the backup holds is dropped and recreated, in one transaction. The
   * caller keeps writers away meanwhile (the API goes read-only); a failure part-way leaves the database as it was.
   */
  | {
      kind: 'in-place';
      databaseUrl: string;
      /**
       * Only these schemas are replaced (default: every one). The API restores `public` and leaves the job queue's
       * (pgboss): its state is not the product's data, a rewound queue would run finished jobs again, and
       * pg_restore --clean cannot drop its partitioned tables ("cannot drop inherited constraint"). Not
       * --exclude-schema: that keeps the schema's objects but still drops the schema itself.
       */
      schemas?: string[];
    }
  /** An embedded backup into a PGlite data directory that is empty or absent (for the live one: stop, move aside, restore). */
  | { kind: 'pglite'; dataDir: string };

export interface RestoreResult {
  /** The database restored into (scratch, in-place), or the directory (pglite). */
  databaseUrl?: string;
  databaseName?: string;
  dataDir?: string;
  durationMs: number;
}

/**
 * Restores a logical backup. The whole object is read first — SHA-256 against the record, every encrypted chunk,
 * the compressed stream — and only then is the target touched: a wrong key, a changed byte or a truncated object
 * throws BackupIntegrityError with the target as it was. Then it streams the object a second time into the target
 * rather than staging it on local disk.
 */
export async function restoreLogicalBackup(
  record: LogicalBackupRecord,
  options: BackupIo & { target: RestoreTarget },
): Promise<RestoreResult> {
  const startedAt = performance.now();
  const progress = createProgressReporter(options.onProgress, startedAt);
  const { target } = options;
  const isPgliteBackup = record.format === 'pglite_datadir_tar+zstd';
  if (isPgliteBackup !== (target.kind === 'pglite')) {
    throw new ValidationError(
      `A ${record.format} backup cannot be restored into a ${target.kind} target`,
      undefined,
      'backup_target_mismatch',
    );
  }
  progress.update({ phase: 'checking', tablesTotal: record.tables.length });
  await checkBackupObject(options, record, (bytes) => progress.update({ bytes }));
  const elapsed = () => Math.round(performance.now() - startedAt);

  if (target.kind === 'pglite') {
    progress.update({ phase: 'restoring', bytes: 0 });
    const pglite = await openPgliteBackup(record, options, { dataDir: target.dataDir, progress });
    await pglite.close();
    progress.flush();
    return { dataDir: target.dataDir, durationMs: elapsed() };
  }
  if (target.kind === 'in-place') {
    await restoreArchiveInto(target.databaseUrl, record, options, { clean: true, progress, schemas: target.schemas });
    progress.flush();
    return { databaseUrl: target.databaseUrl, durationMs: elapsed() };
  }
  const scratch = await createScratchDatabase(target.serverUrl, target.databaseName ?? scratchDatabaseName());
  try {
    await restoreArchiveInto(scratch.url, record, options, { clean: false, progress });
  } catch (error) {
    await scratch.drop().catch(() => {});
    throw error;
  }
  progress.flush();
  return { databaseUrl: scratch.url, databaseName: scratch.name, durationMs: elapsed() };
}

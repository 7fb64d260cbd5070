import { pipeline } from 'node:stream/promises';
import { asIntegrityError, type createProgressReporter, openBackupContent } from './backupStreams.ts';
import { BackupIntegrityError } from './errors.ts';
import { runPgTool } from './pgTools.ts';
import type { BackupIo, LogicalBackupRecord } from './types.ts';

/** What pg_restore --verbose says as it starts each table's rows. */
const TABLE_DATA_LINE = /processing data for table /;

/**
 * Streams a stored pg_dump backup into pg_restore against `databaseUrl`, in one transaction: a failure part-way
 * leaves the database as it was. `clean` drops each object before recreating it (an in-place restore).
 */
export async function restoreArchiveInto(
  databaseUrl: string,
  record: LogicalBackupRecord,
  io: BackupIo,
  options: { clean: boolean; progress: ReturnType<typeof createProgressReporter>; schemas?: string[] },
): Promise<void> {
  const { progress } = options;
  progress.update({ phase: 'restoring', bytes: 0, tablesDone: 0, tablesTotal: record.tables.length });
  const { stages } = await openBackupContent(io, record, (bytes) => progress.update({ bytes }));
  const restore = runPgTool(
    'pg_restore',
    databaseUrl,
    [
      '--single-transaction',
      '--exit-on-error',
      '--verbose',
      // In place, owners and grants come back as they were. A scratch copy is owned by the restoring role: the
      // original roles may not exist there, and nobody else should read it.
      ...(options.clean ? ['--clean', '--if-exists'] : ['--no-owner', '--no-privileges']),
      ...(options.schemas ?? []).map((schema) => `--schema=${schema}`),
    ],
    {
      signal: io.signal,
      onLine: (line) => {
        if (TABLE_DATA_LINE.test(line)) progress.update({ tablesDone: progress.state.tablesDone + 1 });
      },
    },
  );
  try {
    const [fed, exited] = await Promise.allSettled([
      pipeline([...stages, restore.child.stdin], { signal: io.signal }).catch((error: unknown) => {
        restore.child.kill('SIGTERM');
        throw asIntegrityError(error);
      }),
      restore.exited,
    ]);
    // The archive's own failure is the cause; pg_restore dying of it, or the pipe breaking when pg_restore failed, come second.
    if (fed.status === 'rejected' && fed.reason instanceof BackupIntegrityError) throw fed.reason;
    if (io.signal?.aborted) throw io.signal.reason;
    if (exited.status === 'rejected') throw exited.reason;
    if (fed.status === 'rejected') throw fed.reason;
  } finally {
    if (restore.child.exitCode === null) restore.child.kill('SIGTERM');
  }
}

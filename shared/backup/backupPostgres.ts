import { type PassThrough, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { createByteCounter, createCompressor, createProgressReporter } from './backupStreams.ts';
import { createEncryptStream } from './encryption.ts';
import { runPgTool } from './pgTools.ts';
import { hasZstdTool, spawnZstdCompressor } from './zstdProcess.ts';
import { storeBackupObject } from './storeBackupObject.ts';
import { listTables, readTableStats, type RunQuery } from './tableStats.ts';
import type { BackupIo, LogicalBackupResult } from './types.ts';

/** What pg_dump --verbose says as it starts each table's rows. */
const TABLE_DATA_LINE = /dumping contents of table /;

/**
 * A logical backup of the PostgreSQL database at `databaseUrl`, streamed to `io.storage` at `key`:
 * pg_dump (custom format, uncompressed) → zstd → AES-256-GCM chunks (with a key) → storage, never staged whole.
 *
 * One snapshot: a REPEATABLE READ transaction exports its snapshot, pg_dump reads through it (`--snapshot`) and the
 * row counts and sample checksums are taken in that same transaction, so they describe exactly the rows dumped.
 * On any failure (pg_dump, storage, abort) nothing is left under `key` and the error is thrown.
 */
export async function backupPostgres(databaseUrl: string, key: string, io: BackupIo): Promise<LogicalBackupResult> {
  const startedAt = performance.now();
  const progress = createProgressReporter(io.onProgress, startedAt);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const query: RunQuery = async <T>(sql: string) => (await client.query(sql)).rows as T[];
  // Stops the dump when the row counts fail (the caller's signal stops both).
  const abort = new AbortController();
  const signal = io.signal ? AbortSignal.any([io.signal, abort.signal]) : abort.signal;
  try {
    await client.query('begin isolation level repeatable read read only');
    const [exported] = await query<{ snapshot: string }>('select pg_export_snapshot() as snapshot');
    const snapshot = exported!.snapshot;
    progress.update({ tablesTotal: (await listTables(query)).length });

    const stored = storeBackupObject(io.storage, key, signal, (body) => dumpInto(body, databaseUrl, snapshot, io, signal, progress));
    // A failed count stops the dump at once; a failed dump leaves the counts to finish on their own (they are cheap).
    const counted = readTableStats(query).catch((error: unknown) => {
      abort.abort(error);
      throw error;
    });
    const [object, tables] = await Promise.allSettled([stored, counted]);
    if (object.status === 'rejected') throw object.reason;
    if (tables.status === 'rejected') {
      await io.storage.delete(key).catch(() => {});
      throw tables.reason;
    }
    await client.query('commit');
    progress.update({ tablesDone: progress.state.tablesTotal });
    progress.flush();
    return {
      ...object.value,
      tables: tables.value,
      format: 'pg_dump_custom+zstd',
      encrypted: !!io.encryptionKey,
      durationMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs pg_dump and pipes its archive, compressed and encrypted, into `body`; ends `body` only once pg_dump exited 0. */
async function dumpInto(
  body: PassThrough,
  databaseUrl: string,
  snapshot: string,
  io: BackupIo,
  signal: AbortSignal,
  progress: ReturnType<typeof createProgressReporter>,
): Promise<void> {
  const dump = runPgTool('pg_dump', databaseUrl, ['--format=custom', '--compress=0', `--snapshot=${snapshot}`, '--verbose'], {
    signal,
    onLine: (line) => {
      if (TABLE_DATA_LINE.test(line)) progress.update({ tablesDone: progress.state.tablesDone + 1 });
    },
  });
  // Debian's zstd reads pg_dump's pipe itself when installed (zstdProcess.ts says why); node:zlib otherwise.
  const zstd = hasZstdTool() ? spawnZstdCompressor(dump.child.stdout, signal) : undefined;
  const compressed = zstd ? [zstd.output] : [dump.child.stdout, createCompressor()];
  // pg_dump can write a complete-looking archive and still exit non-zero: the stream ends only after its exit code.
  const exitGate = new Transform({
    transform: (chunk: Buffer, _encoding, callback: TransformCallback) => callback(null, chunk),
    flush: (callback: TransformCallback) => void Promise.all([dump.exited, zstd?.exited]).then(() => callback(), callback),
  });
  try {
    await pipeline(
      [
        ...compressed,
        ...(io.encryptionKey ? [createEncryptStream(io.encryptionKey)] : []),
        createByteCounter((bytes) => progress.update({ bytes })),
        exitGate,
        body,
      ],
      { signal },
    );
  } finally {
    if (dump.child.exitCode === null) dump.child.kill('SIGTERM');
  }
}

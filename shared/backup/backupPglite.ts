import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { asIntegrityError, createByteCounter, createCompressor, createProgressReporter, openBackupContent } from './backupStreams.ts';
import { createEncryptStream } from './encryption.ts';
import { BackupFailedError } from './errors.ts';
import { storeBackupObject } from './storeBackupObject.ts';
import { readTableStats, type RunQuery } from './tableStats.ts';
import type { BackupIo, LogicalBackupRecord, LogicalBackupResult, TableStat } from './types.ts';

/** Tries at taking counts and tarball with no write between them before giving up on a busy database. */
const CONSISTENT_ATTEMPTS = 3;

/**
 * A backup of the embedded database: PGlite's own dump of its data directory (a tar, taken while no query
 * runs) → zstd → AES-256-GCM chunks (with a key) → storage. PGlite holds the tarball in memory anyway (its data
 * directory is in WebAssembly memory), so only the way out is streamed.
 *
 * The counts are taken just before and again just after the tarball; if a write fell between them the two
 * disagree and the pair is taken again, so the recorded counts describe exactly the rows in the tarball.
 */
export async function backupPglite(pglite: PGlite, key: string, io: BackupIo): Promise<LogicalBackupResult> {
  const startedAt = performance.now();
  const progress = createProgressReporter(io.onProgress, startedAt);
  const signal = io.signal ?? new AbortController().signal;
  let tables: TableStat[] | undefined;
  let tarball: Blob | undefined;
  for (let attempt = 1; attempt <= CONSISTENT_ATTEMPTS && !tarball; attempt++) {
    signal.throwIfAborted();
    const before = await readPgliteStats(pglite);
    const dumped = await pglite.dumpDataDir('none');
    const after = await readPgliteStats(pglite);
    if (JSON.stringify(before) === JSON.stringify(after)) [tables, tarball] = [after, dumped];
  }
  if (!tarball || !tables) {
    throw new BackupFailedError('backup_source_busy', `The database changed during each of ${CONSISTENT_ATTEMPTS} attempts at a backup`);
  }
  progress.update({ tablesTotal: tables.length, tablesDone: tables.length });
  const content = tarball;
  const object = await storeBackupObject(io.storage, key, signal, (body) =>
    pipeline(
      [
        Readable.from(blobSlices(content)),
        createCompressor(),
        ...(io.encryptionKey ? [createEncryptStream(io.encryptionKey)] : []),
        createByteCounter((bytes) => progress.update({ bytes })),
        body,
      ],
      { signal },
    ),
  );
  progress.flush();
  return {
    ...object,
    tables,
    format: 'pglite_datadir_tar+zstd',
    encrypted: !!io.encryptionKey,
    durationMs: Math.round(performance.now() - startedAt),
  };
}

/** A Blob in 1 MiB pieces, read one at a time. */
async function* blobSlices(blob: Blob): AsyncGenerator<Buffer> {
  const slice = 1024 * 1024;
  for (let offset = 0; offset < blob.size; offset += slice) yield Buffer.from(await blob.slice(offset, offset + slice).arrayBuffer());
}

/** Row counts and sample checksums of a PGlite database, in one transaction. */
export async function readPgliteStats(pglite: PGlite): Promise<TableStat[]> {
  return pglite.transaction(async (tx) => readTableStats(async <T>(sql: string) => (await tx.query<T>(sql)).rows));
}

/** A query runner over a PGlite instance, outside any transaction. */
export function pgliteQuery(pglite: PGlite): RunQuery {
  return async <T>(sql: string) => (await pglite.query<T>(sql)).rows;
}

/**
 * Opens a stored PGlite backup as a new PGlite: in memory without `dataDir`, else in `dataDir`, which must be
 * empty or absent (PGlite refuses to load over an existing database). The object's SHA-256 and every chunk are
 * checked while it is read; nothing is opened unless all of it passed.
 */
export async function openPgliteBackup(
  record: LogicalBackupRecord,
  io: BackupIo,
  options: { dataDir?: string; progress?: ReturnType<typeof createProgressReporter> } = {},
): Promise<PGlite> {
  const { stages } = await openBackupContent(io, record, (bytes) => options.progress?.update({ bytes }));
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const collect = new Writable({
    write(chunk: Buffer<ArrayBuffer>, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  await pipeline([...stages, collect], { signal: io.signal }).catch((error: unknown) => {
    throw asIntegrityError(error);
  });
  const loadDataDir = new Blob(parts);
  return options.dataDir ? PGlite.create(options.dataDir, { loadDataDir }) : PGlite.create({ loadDataDir });
}

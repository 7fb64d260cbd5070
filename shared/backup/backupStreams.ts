import crypto from 'node:crypto';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AppError } from '../errors.ts';
import { ObjectNotFoundError } from '../storage/ObjectStorage.ts';
import { createDecryptStream } from './encryption.ts';
import { BackupIntegrityError } from './errors.ts';
import type { BackupIo, BackupProgress, LogicalBackupRecord } from './types.ts';

/**
 * zstd at level 3 (its default: ~the speed of pg_dump's own output on one core) with the frame checksum on, so an
 * unencrypted backup also catches changed bytes while decompressing.
 */
export function createCompressor(): Transform {
  // zstd is in node:zlib from Node 22.15 (experimental there, stable in 24); package.json pins Node 22.23.
  // eslint-disable-next-line n/no-unsupported-features/node-builtins -- see above
  return zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
}

export function createDecompressor(): Transform {
  // eslint-disable-next-line n/no-unsupported-features/node-builtins -- as createCompressor
  return zlib.createZstdDecompress();
}

/** Counts the bytes passing through, calling `onBytes` with the running total. */
export function createByteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

/** A progress sender that sends at most every `intervalMs`, plus whatever `flush` forces (the last one). */
export function createProgressReporter(onProgress: BackupIo['onProgress'], startedAt: number, intervalMs = 250) {
  let lastSent = 0;
  const state: Omit<BackupProgress, 'elapsedMs'> = { phase: 'dumping', bytes: 0, tablesDone: 0, tablesTotal: 0 };
  const send = (force: boolean) => {
    const now = performance.now();
    if (!onProgress || (!force && now - lastSent < intervalMs)) return;
    lastSent = now;
    onProgress({ ...state, tablesDone: Math.min(state.tablesDone, state.tablesTotal), elapsedMs: Math.round(now - startedAt) });
  };
  return {
    state,
    update(change: Partial<typeof state>) {
      Object.assign(state, change);
      send(false);
    },
    flush: () => send(true),
  };
}

/** zstd's own errors (a changed byte under its checksum) mean a damaged backup, and say so. */
export function asIntegrityError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ZSTD_error')) {
    return new BackupIntegrityError('backup_corrupt', `The backup is damaged: ${(error as Error).message}`);
  }
  return error;
}

/**
 * The plaintext of a stored backup (the pg_dump archive or the PGlite tarball), streamed: the object's bytes are
 * hashed on the way and the stream fails at its end unless the SHA-256 is the recorded one; decryption fails at
 * the first chunk that does not authenticate. `onBytes` counts stored bytes read.
 */
export async function openBackupContent(
  io: Pick<BackupIo, 'storage' | 'encryptionKey' | 'signal'>,
  record: Pick<LogicalBackupRecord, 'key' | 'sha256' | 'encrypted'>,
  onBytes: (total: number) => void = () => {},
): Promise<{ stages: (Readable | Transform)[] }> {
  if (record.encrypted && !io.encryptionKey) {
    throw new BackupIntegrityError('backup_key_missing', 'The backup is encrypted and BACKUP_ENCRYPTION_KEY is not set');
  }
  const object = await io.storage.get(record.key).catch((error: unknown) => {
    if (error instanceof ObjectNotFoundError)
      throw new BackupIntegrityError('backup_missing', `The backup object ${record.key} is not in storage`);
    throw error;
  });
  const hash = crypto.createHash('sha256');
  const checksumGate = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const sha256 = hash.digest('hex');
      if (sha256 === record.sha256) return callback();
      callback(
        new BackupIntegrityError('backup_checksum_mismatch', `The stored backup's SHA-256 is ${sha256}, not the recorded ${record.sha256}`),
      );
    },
  });
  return {
    stages: [
      object.body,
      createByteCounter(onBytes),
      checksumGate,
      ...(record.encrypted ? [createDecryptStream(io.encryptionKey!)] : []),
      createDecompressor(),
    ],
  };
}

/**
 * Reads a stored backup end to end — SHA-256, decryption, decompression — without writing it anywhere: proof it
 * can be restored, taken before a restore touches anything. Throws BackupIntegrityError when it cannot.
 */
export async function checkBackupObject(
  io: Pick<BackupIo, 'storage' | 'encryptionKey' | 'signal'>,
  record: Pick<LogicalBackupRecord, 'key' | 'sha256' | 'encrypted'>,
  onBytes?: (total: number) => void,
): Promise<void> {
  const { stages } = await openBackupContent(io, record, onBytes);
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline([...stages, discard], { signal: io.signal }).catch((error: unknown) => {
    throw asIntegrityError(error);
  });
}

import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSourceDatabase,
  localStorageHarness,
  s3StorageHarness,
  writeUserWithConversations,
  type SourceDatabase,
  type StorageHarness,
} from '../../test/backupDatabase.ts';
import { failingStorage, watchedStorage } from '../../test/failingStorage.ts';
import { startS3, type TestS3 } from '../../test/s3.ts';
import { uniqueName } from '../../test/services.ts';
import type { ObjectStorage } from '../storage/ObjectStorage.ts';
import { createLogicalBackup, restoreLogicalBackup, verifyLogicalBackup, type BackupProgress, type LogicalBackupRecord } from './index.ts';

const KEY = crypto.randomBytes(32);
/** Scratch databases named like every test database, so an interrupted run's are dropped by the next. */
const SCRATCH_PREFIX = 'twinmcp_test';

const newKey = () => `backups/${crypto.randomBytes(6).toString('hex')}.dump`;

async function flipOneByte(storage: ObjectStorage, key: string, at: (size: number) => number): Promise<void> {
  const bytes = await buffer((await storage.get(key)).body);
  const offset = at(bytes.length);
  bytes.writeUInt8(bytes.readUInt8(offset) ^ 0x04, offset);
  await storage.put(key, Readable.from([bytes]), { contentType: 'application/octet-stream' });
}

async function emailsIn(url: string): Promise<string[]> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await db('users').orderBy('email').pluck('email');
  } finally {
    await db.destroy();
  }
}

describe.each([
  ['a local directory', localStorageHarness],
  ['S3 (s3rver)', s3StorageHarness],
] as const)('logical backups of PostgreSQL to %s', (_name, makeStorage) => {
  let store: StorageHarness;
  let source: SourceDatabase;
  const backUp = (
    options: { storage?: ObjectStorage; encryptionKey?: Buffer; onProgress?: (p: BackupProgress) => void; signal?: AbortSignal } = {},
  ) =>
    createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, newKey(), {
      storage: store.storage,
      encryptionKey: KEY,
      ...options,
    });
  const verify = (record: LogicalBackupRecord, encryptionKey: Buffer | undefined = KEY) =>
    verifyLogicalBackup(record, { storage: store.storage, encryptionKey, serverUrl: source.url, scratchPrefix: SCRATCH_PREFIX });

  beforeAll(async () => {
    [store, source] = await Promise.all([makeStorage(), createSourceDatabase()]);
    // Random titles do not compress: the backup object is a few hundred KiB, enough to fail part-way through.
    await writeUserWithConversations(source.db, 3000);
  });
  afterAll(async () => {
    await source?.close();
    await store?.close();
  });

  it('restore drill: a restore holds what was written before the backup and nothing written after', async () => {
    const before = await writeUserWithConversations(source.db, 10);
    const progress: BackupProgress[] = [];
    const backup = await backUp({ onProgress: (p) => progress.push(p) });
    const after = await writeUserWithConversations(source.db, 10);

    expect(backup).toMatchObject({ format: 'pg_dump_custom+zstd', encrypted: true, bytes: expect.any(Number) });
    const stored = await buffer((await store.storage.get(backup.key)).body);
    expect(stored.length).toBe(backup.bytes);
    expect(crypto.createHash('sha256').update(stored).digest('hex')).toBe(backup.sha256);
    expect(stored.includes(Buffer.from(before))).toBe(false);
    const conversations = backup.tables.find((table) => table.name === 'conversations')!;
    expect(conversations.rows).toBe(3010);
    expect(backup.tables.find((table) => table.name === 'knex_migrations')!.rows).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({
      phase: 'dumping',
      bytes: backup.bytes,
      tablesDone: backup.tables.length,
      tablesTotal: backup.tables.length,
    });

    const verification = await verify(backup);
    expect(verification).toMatchObject({ ok: true, migrations: { pending: [] } });

    const restored = await restoreLogicalBackup(backup, {
      storage: store.storage,
      encryptionKey: KEY,
      target: { kind: 'scratch', serverUrl: source.url, databaseName: uniqueName(SCRATCH_PREFIX) },
    });
    try {
      const emails = await emailsIn(restored.databaseUrl!);
      expect(emails).toContain(before);
      expect(emails).not.toContain(after);
    } finally {
      await source.db.raw('drop database if exists ?? with (force)', [restored.databaseName!]);
    }
  });

  it('restores in place: rows written after the backup are gone, the backed-up ones are back', async () => {
    const kept = await writeUserWithConversations(source.db, 1);
    const backup = await backUp();
    const later = await writeUserWithConversations(source.db, 1);
    await source.db('users').where({ email: kept }).update({ name: 'Changed after the backup' });

    await restoreLogicalBackup(backup, {
      storage: store.storage,
      encryptionKey: KEY,
      target: { kind: 'in-place', databaseUrl: source.url },
    });

    const emails = await source.db('users').pluck('email');
    expect(emails).toContain(kept);
    expect(emails).not.toContain(later);
    expect(await source.db('users').where({ email: kept }).first('name')).toEqual({ name: 'Drill' });
  });

  it('fails verification of a backup with one byte flipped in storage, saying why, and refuses to restore it', async () => {
    const backup = await backUp();
    await flipOneByte(store.storage, backup.key, (size) => Math.floor(size / 2));

    const verification = await verify(backup);
    expect(verification).toMatchObject({ ok: false, code: 'backup_corrupt', reason: expect.stringContaining('damaged') });
    const target = { kind: 'scratch' as const, serverUrl: source.url, databaseName: uniqueName(SCRATCH_PREFIX) };
    await expect(restoreLogicalBackup(backup, { storage: store.storage, encryptionKey: KEY, target })).rejects.toMatchObject({
      code: 'backup_corrupt',
    });
    const admin = knexFactory({ client: 'pg', connection: source.url, pool: { min: 0, max: 1 } });
    try {
      expect(await admin('pg_database').where({ datname: target.databaseName }).first()).toBeUndefined();
    } finally {
      await admin.destroy();
    }
  });

  it('fails an unencrypted backup with a flipped byte on its recorded SHA-256', async () => {
    const backup = await backUp({ encryptionKey: undefined });
    expect(backup.encrypted).toBe(false);
    await expect(verify(backup, undefined)).resolves.toMatchObject({ ok: true });
    await flipOneByte(store.storage, backup.key, (size) => size - 3);
    const verification = await verify(backup, undefined);
    expect(verification).toMatchObject({ ok: false });
    expect(['backup_checksum_mismatch', 'backup_corrupt']).toContain(verification.ok ? '' : verification.code);
  });

  it('refuses a wrong key with backup_key_mismatch and leaves the target database untouched', async () => {
    const backup = await backUp();
    const afterBackup = await writeUserWithConversations(source.db, 1);
    const emails = await source.db('users').orderBy('email').pluck('email');

    const wrongKey = crypto.randomBytes(32);
    await expect(
      restoreLogicalBackup(backup, {
        storage: store.storage,
        encryptionKey: wrongKey,
        target: { kind: 'in-place', databaseUrl: source.url },
      }),
    ).rejects.toMatchObject({ code: 'backup_key_mismatch', message: expect.stringContaining('another key') });
    await expect(
      restoreLogicalBackup(backup, { storage: store.storage, target: { kind: 'in-place', databaseUrl: source.url } }),
    ).rejects.toMatchObject({ code: 'backup_key_missing' });

    expect(await source.db('users').orderBy('email').pluck('email')).toEqual(emails);
    expect(emails).toContain(afterBackup);
    expect(await verify(backup, wrongKey)).toMatchObject({ ok: false, code: 'backup_key_mismatch' });
  });

  it('surfaces a store that fails mid-backup, leaves nothing under the key, and the next backup works', async () => {
    const key = newKey();
    const full = failingStorage(store.storage, 64 * 1024);
    await expect(
      createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, key, { storage: full, encryptionKey: KEY }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await store.storage.head(key)).toBeUndefined();
    expect(await store.leftovers()).toEqual([]);

    const next = await createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, key, {
      storage: store.storage,
      encryptionKey: KEY,
    });
    expect(await verify(next)).toMatchObject({ ok: true });
  });

  it('stops when aborted and leaves nothing under the key', async () => {
    const key = newKey();
    const controller = new AbortController();
    // Aborted while the store is part-way through the object.
    const storage = watchedStorage(store.storage, (seen) => {
      if (seen > 64 * 1024) controller.abort(new Error('operator cancelled'));
      return undefined;
    });
    const backup = createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, key, {
      storage,
      encryptionKey: KEY,
      signal: controller.signal,
    });
    await expect(backup).rejects.toThrow('operator cancelled');
    expect(await store.storage.head(key)).toBeUndefined();
    expect(await store.leftovers()).toEqual([]);
  });

  it('says a backup whose object is gone is missing, and restores nothing', async () => {
    const backup = await backUp();
    await store.storage.delete(backup.key);
    expect(await verify(backup)).toMatchObject({ ok: false, code: 'backup_missing' });
    await expect(
      restoreLogicalBackup(backup, { storage: store.storage, encryptionKey: KEY, target: { kind: 'in-place', databaseUrl: source.url } }),
    ).rejects.toMatchObject({ code: 'backup_missing', status: 409 });
  });

  it('never replaces an existing backup', async () => {
    const backup = await backUp();
    await expect(
      createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, backup.key, { storage: store.storage, encryptionKey: KEY }),
    ).rejects.toMatchObject({ code: 'backup_exists' });
    expect(await verify(backup)).toMatchObject({ ok: true });
  });
});

describe('a logical backup whose S3 store goes down part-way', () => {
  let source: SourceDatabase;
  let s3: TestS3;
  beforeAll(async () => {
    [source, s3] = await Promise.all([createSourceDatabase(), startS3()]);
    await writeUserWithConversations(source.db, 3000);
  });
  afterAll(async () => {
    await source?.close();
    await s3?.close();
  });

  it('fails with the store error instead of hanging, and a backup to a store that answers works', async () => {
    let stopping: Promise<void> | undefined;
    const storage = watchedStorage(s3.storage(), (seen) => {
      if (seen > 64 * 1024) stopping ??= s3.stop();
      return undefined;
    });
    await expect(
      createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, newKey(), { storage, encryptionKey: KEY }),
    ).rejects.toThrow();
    await stopping;

    const other = await localStorageHarness();
    try {
      const backup = await createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, newKey(), {
        storage: other.storage,
        encryptionKey: KEY,
      });
      const verification = await verifyLogicalBackup(backup, {
        storage: other.storage,
        encryptionKey: KEY,
        serverUrl: source.url,
        scratchPrefix: SCRATCH_PREFIX,
      });
      expect(verification).toMatchObject({ ok: true });
    } finally {
      await other.close();
    }
  });
});

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { localStorageHarness, writeUserWithConversations, type StorageHarness } from '../../test/backupDatabase.ts';
import { migrationSource } from '../../migrations/index.ts';
import { migrateLatest } from '../db.ts';
import { createLogicalBackup, restoreLogicalBackup, verifyLogicalBackup } from './index.ts';

const KEY = crypto.randomBytes(32);

describe('logical backups of the embedded database (PGlite)', () => {
  let store: StorageHarness;
  let pglite: PGlite;
  let db: Knex;
  let dir: string;

  beforeAll(async () => {
    store = await localStorageHarness();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-pglite-restore-'));
    pglite = await PGlite.create();
    // As shared/db.ts opens the embedded database.
    db = knexFactory({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: () => ({ pglite }) as unknown as Knex.StaticConnectionConfig,
      migrations: { migrationSource },
    });
    await migrateLatest(db);
    await writeUserWithConversations(db, 500);
  });
  afterAll(async () => {
    await db?.destroy();
    // knex-pglite closes the instance with the pool.
    if (pglite && !pglite.closed) await pglite.close();
    await store?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const backUp = () =>
    createLogicalBackup({ kind: 'pglite', pglite }, `backups/${crypto.randomBytes(6).toString('hex')}.tar`, {
      storage: store.storage,
      encryptionKey: KEY,
    });

  it('restore drill: backs up, verifies in a temporary PGlite, restores what was written before and not after', async () => {
    const before = await writeUserWithConversations(db, 3);
    const backup = await backUp();
    const after = await writeUserWithConversations(db, 3);
    expect(backup).toMatchObject({ format: 'pglite_datadir_tar+zstd', encrypted: true });
    expect(backup.tables.find((table) => table.name === 'conversations')!.rows).toBe(503);

    await expect(verifyLogicalBackup(backup, { storage: store.storage, encryptionKey: KEY })).resolves.toMatchObject({
      ok: true,
      migrations: { pending: [] },
    });

    const dataDir = path.join(dir, 'drill');
    await restoreLogicalBackup(backup, { storage: store.storage, encryptionKey: KEY, target: { kind: 'pglite', dataDir } });
    const restored = await PGlite.create(dataDir);
    try {
      const emails = (await restored.query<{ email: string }>('select email from users')).rows.map((row) => row.email);
      expect(emails).toContain(before);
      expect(emails).not.toContain(after);
    } finally {
      await restored.close();
    }
  });

  it('fails verification of a backup with a flipped byte, and a wrong key touches no directory', async () => {
    const backup = await backUp();
    const wrongKey = crypto.randomBytes(32);
    expect(await verifyLogicalBackup(backup, { storage: store.storage, encryptionKey: wrongKey })).toMatchObject({
      ok: false,
      code: 'backup_key_mismatch',
    });
    const dataDir = path.join(dir, 'wrong-key');
    await expect(
      restoreLogicalBackup(backup, { storage: store.storage, encryptionKey: wrongKey, target: { kind: 'pglite', dataDir } }),
    ).rejects.toMatchObject({
      code: 'backup_key_mismatch',
    });
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });

    const bytes = await buffer((await store.storage.get(backup.key)).body);
    bytes.writeUInt8(bytes.readUInt8(100) ^ 0x10, 100);
    await store.storage.put(backup.key, Readable.from([bytes]), { contentType: 'application/octet-stream' });
    expect(await verifyLogicalBackup(backup, { storage: store.storage, encryptionKey: KEY })).toMatchObject({
      ok: false,
      code: 'backup_corrupt',
    });
  });
});

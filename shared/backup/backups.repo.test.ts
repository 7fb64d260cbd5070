import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSourceDatabase,
  localStorageHarness,
  writeUserWithConversations,
  type SourceDatabase,
  type StorageHarness,
} from '../../test/backupDatabase.ts';
import {
  findBackup,
  insertRunningBackup,
  latestVerifiedBackup,
  logicalBackupRecordOf,
  recordBackupFailed,
  recordBackupMade,
  recordBackupProgress,
  recordVerification,
} from './backups.repo.ts';
import { createLogicalBackup, verifyLogicalBackup } from './index.ts';

const KEY = crypto.randomBytes(32);

describe('the backups table', () => {
  let source: SourceDatabase;
  let store: StorageHarness;
  beforeAll(async () => {
    [source, store] = await Promise.all([createSourceDatabase(), localStorageHarness()]);
    await writeUserWithConversations(source.db, 20);
  });
  afterAll(async () => {
    await source?.close();
    await store?.close();
  });

  it('records a backup from running to verified, and reads back a record that verifies again', async () => {
    const row = await insertRunningBackup(source.db, {
      kind: 'logical',
      format: 'pg_dump_custom+zstd',
      storageKey: 'backups/one.dump',
      encrypted: true,
    });
    expect(row).toMatchObject({ status: 'running', kind: 'logical' });
    await expect(
      insertRunningBackup(source.db, { kind: 'logical', format: 'pg_dump_custom+zstd', storageKey: 'backups/two.dump', encrypted: true }),
    ).rejects.toMatchObject({ status: 409, code: 'backup_in_progress' });

    const made = await createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, row.storage_key, {
      storage: store.storage,
      encryptionKey: KEY,
      onProgress: (progress) => void recordBackupProgress(source.db, row.id, progress),
    });
    expect(await recordBackupMade(source.db, row.id, made)).toMatchObject({ status: 'verifying', sha256: made.sha256 });
    // Not yet verified: never the default restore point.
    expect(await latestVerifiedBackup(source.db, 'logical')).toBeUndefined();

    const verification = await verifyLogicalBackup(made, {
      storage: store.storage,
      encryptionKey: KEY,
      serverUrl: source.url,
      scratchPrefix: 'twinmcp_test',
    });
    expect(await recordVerification(source.db, row.id, verification)).toMatchObject({ status: 'verified', verified_at: expect.anything() });
    expect((await latestVerifiedBackup(source.db))?.id).toBe(row.id);

    const record = logicalBackupRecordOf((await findBackup(source.db, row.id))!);
    expect(record).toEqual({
      key: made.key,
      bytes: made.bytes,
      sha256: made.sha256,
      tables: made.tables,
      format: made.format,
      encrypted: true,
    });
    await expect(
      verifyLogicalBackup(record, { storage: store.storage, encryptionKey: KEY, serverUrl: source.url, scratchPrefix: 'twinmcp_test' }),
    ).resolves.toMatchObject({
      ok: true,
    });
  });

  it('keeps a failed backup out of the restore points, with its reason, and lets the next one start', async () => {
    const row = await insertRunningBackup(source.db, {
      kind: 'physical',
      format: 'pgbackrest',
      storageKey: 'backups/p.tar',
      encrypted: false,
    });
    await recordBackupFailed(source.db, row.id, { code: 'ENOSPC', message: 'no space left on device' });
    expect(await findBackup(source.db, row.id)).toMatchObject({ status: 'failed', error: { code: 'ENOSPC' } });
    expect(await latestVerifiedBackup(source.db, 'physical')).toBeUndefined();
    await expect(
      insertRunningBackup(source.db, { kind: 'physical', format: 'pgbackrest', storageKey: 'backups/q.tar', encrypted: false }),
    ).resolves.toMatchObject({
      status: 'running',
    });
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { freeLoopbackPort } from '../../../test/pgCluster.ts';
import { backUpAndSettle, settledRestore } from './dr.fixtures.ts';

/**
 * Backups and restores on a deployment whose DATABASE_URL names several servers (libpq's list, which the
 * product follows): a dump must read the server taking writes, a scratch restore must be made beside
 * it. Here the list names a server nobody runs first, then the real one.
 */
describe('backups when DATABASE_URL names several servers', () => {
  let t: TestApp;
  let operator: TestUser;
  let storageDir: string;
  let scratchDatabase: string | null = null;

  beforeAll(async () => {
    storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-dr-multihost-'));
    const deadPort = await freeLoopbackPort();
    t = await startTestApp({
      env: { STORAGE_DIR: storageDir, BACKUP_RETENTION: '1000b' },
      databaseUrl: (url) => {
        const single = new URL(url);
        return `postgres://${single.username}@127.0.0.1:${deadPort},${single.host}${single.pathname}?target_session_attrs=read-write`;
      },
    });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
  }, 60_000);
  afterAll(async () => {
    if (scratchDatabase) await t.services.db.raw('drop database if exists ?? with (force)', [scratchDatabase]);
    await t?.close();
    await fs.rm(storageDir, { recursive: true, force: true });
  });

  it('backs up from the writable server, verifies, and restores into a scratch database beside it', async () => {
    expect(t.config.DATABASE_URL).toContain(',');
    const backup = await backUpAndSettle(t, operator);
    expect(backup).toMatchObject({ status: 'verified', verification: { ok: true } });
    expect(backup.tables!.find((table) => table.name === 'users')!.rows).toBe(1);

    const requested = await t.request.post('/api/dr/restores').set(bearer(operator)).send({ backupId: backup.id, target: 'scratch' });
    expect(requested.status).toBe(202);
    const restore = await settledRestore(t, operator, requested.body.data.id);
    expect(restore).toMatchObject({ status: 'succeeded' });
    scratchDatabase = restore.databaseName;
    const { rows } = await t.services.db.raw<{ rows: Array<{ datname: string }> }>('select datname from pg_database where datname = ?', [
      scratchDatabase,
    ]);
    expect(rows).toHaveLength(1);
  }, 90_000);
});

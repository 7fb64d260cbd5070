import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readBackupInfo } from '@shared/backup/physical/index.ts';
import { switchWalAndWaitForArchive, waitFor, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { bearer, type TestUser } from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { rowsOf, startPhysicalBackupRig, type Backup, type PhysicalBackupRig, type Restore } from './drPhysical.fixtures.ts';

/**
 * Physical backups through the API, the part CI runs: a full backup verified by a restore to its restore
 * point, point-in-time restores into a scratch cluster and in place. Incrementals and deletion, the CLI
 * and a repository outage are drills of their own (drPhysical.drill.test.ts, npm run test:drills).
 */
describe('physical backups and point-in-time recovery through the API (pgBackRest, S3 over TLS)', () => {
  let rig: PhysicalBackupRig;
  let source: BackedUpCluster;
  let t: PhysicalBackupRig['t'];
  let operator: TestUser;
  let scratchDir: string;
  let first: Backup;
  /** A moment between two writes (57 conversations then, 68 after the second). */
  let between: Date;
  const backUp = (type?: 'full' | 'incr') => rig.backUp(type);
  const settled = <T extends { status: string }>(path: string, isDone: (row: T) => boolean) => rig.settled(path, isDone);

  beforeAll(async () => {
    rig = await startPhysicalBackupRig('a passphrase for the API drill');
    ({ source, t, operator, scratchDir } = rig);
  }, 180_000);
  afterAll(async () => {
    await rig?.close();
    await closeAllTestPgClusters();
  });

  it('makes a physical backup as a job, verifies it by restoring to its restore point, and lists it', async () => {
    await writeUserWithConversations(t.services.db, 50);
    first = await backUp();
    expect(first).toMatchObject({ status: 'verified', kind: 'physical', verification: { ok: true }, error: null });
    expect(first.physical!.type).toBe('full');
    expect(first.physical!.label).toMatch(/^\d{8}-\d{6}F$/);
    expect(first.bytes).toBeGreaterThan(0);
    expect(rowsOf(first.tables, 'conversations')).toBe(50);
    // The verification's scratch cluster is gone.
    expect(await readdir(scratchDir)).toEqual([]);
    const list = await t.request.get('/api/dr/backups').set(bearer(operator));
    expect(list.body.data.map((row: Backup) => row.id)).toContain(first.id);
    // The repository holds the set the row names.
    expect((await readBackupInfo(source.setup)).backups.map((backup) => backup.label)).toContain(first.physical!.label);
  }, 300_000);

  it('restores to a moment between two writes into a scratch cluster: the first write is there, the second is not', async () => {
    await writeUserWithConversations(t.services.db, 7);
    const [target] = await source.cluster.query<{ at: Date }>(
      "select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at",
    );
    between = target!.at;
    await waitFor(async () => {
      const [row] = await source.cluster.query<{ isPast: boolean }>('select clock_timestamp() > $1 as "isPast"', [between]);
      return row!.isPast;
    }, 'the database clock passes the target');
    await writeUserWithConversations(t.services.db, 11);
    await switchWalAndWaitForArchive(source.cluster);

    const started = Date.now();
    const res = await t.request
      .post('/api/dr/restores')
      .set(bearer(operator))
      .send({ target: 'scratch', targetTime: between.toISOString() });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ backupId: first.id, targetTime: between.toISOString(), status: 'pending' });
    const restore = await settled<Restore>(`/api/dr/restores/${res.body.data.id}`, (row) => ['succeeded', 'failed'].includes(row.status));
    rig.timings.push(`point-in-time restore into a scratch cluster through the API: ${Date.now() - started} ms`);
    expect(restore).toMatchObject({ status: 'succeeded', error: null });
    expect(rowsOf(restore.result!.tables, 'conversations')).toBe(57);
    expect(restore.result!.backupLabel).toBe(first.physical!.label);
    // The live database has all three writes.
    expect(Number((await t.services.db('conversations').count({ n: '*' }))[0]!.n)).toBe(68);
  }, 300_000);

  it('refuses a target before the earliest verified backup, and one in the future, with 400', async () => {
    const early = new Date(Date.parse(first.physical!.restorePoint.at) - 3_600_000).toISOString();
    const refused = await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetTime: early });
    expectError(refused, 400, 'restore_target_before_earliest');
    expect(Date.parse(refused.body.error.earliest)).toBeGreaterThan(Date.parse(early));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expectError(
      await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetTime: future }),
      400,
      'restore_target_after_latest',
    );
  });

  it('restores to a WAL position between two writes into a scratch cluster; refuses one not written yet, or with a time', async () => {
    const before = Number((await t.services.db('conversations').count({ n: '*' }))[0]!.n);
    await writeUserWithConversations(t.services.db, 5);
    const [{ lsn }] = (await t.services.db.raw<{ rows: Array<{ lsn: string }> }>('select pg_current_wal_lsn()::text as lsn')).rows as [
      { lsn: string },
    ];
    await writeUserWithConversations(t.services.db, 4);
    await switchWalAndWaitForArchive(source.cluster);

    const res = await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetLsn: lsn });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ backupId: first.id, targetLsn: lsn, targetTime: null });
    const restore = await settled<Restore>(`/api/dr/restores/${res.body.data.id}`, (row) => ['succeeded', 'failed'].includes(row.status));
    expect(restore).toMatchObject({ status: 'succeeded', error: null });
    expect(rowsOf(restore.result!.tables, 'conversations')).toBe(before + 5);

    expectError(
      await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetLsn: 'FFFFFFFF/0' }),
      400,
      'restore_target_after_latest',
    );
    expectError(
      await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetLsn: '0/1' }),
      400,
      'restore_target_before_earliest',
    );
    const both = { target: 'scratch', targetLsn: lsn, targetTime: between.toISOString() };
    expectError(await t.request.post('/api/dr/restores').set(bearer(operator)).send(both), 400, 'validation_failed');
    expectError(
      await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', targetLsn: 'not-a-position' }),
      400,
      'validation_failed',
    );
  }, 300_000);

  it('restores the live database in place to that moment: a confirmation token first, then the writes after it are gone', async () => {
    const ask = { target: 'in-place', targetTime: between.toISOString() };
    const asked = await t.request.post('/api/dr/restores').set(bearer(operator)).send(ask);
    expectError(asked, 409, 'confirmation_required');
    const started = Date.now();
    const res = await t.request
      .post('/api/dr/restores')
      .set(bearer(operator))
      .send({ ...ask, confirmationToken: asked.body.error.confirmationToken });
    expect(res.status).toBe(202);
    const restore = await settled<Restore>(`/api/dr/restores/${res.body.data.id}`, (row) => ['succeeded', 'failed'].includes(row.status));
    rig.timings.push(`point-in-time restore in place through the API: ${Date.now() - started} ms`);
    expect(restore).toMatchObject({ status: 'succeeded', error: null, result: { dataDirectory: null } });
    expect(rowsOf(restore.result!.tables, 'conversations')).toBe(57);
    expect(Number((await t.services.db('conversations').count({ n: '*' }))[0]!.n)).toBe(57);
    // The list of backups is carried across: the backup made after that moment is still listed, verified.
    expect((await t.request.get(`/api/dr/backups/${first.id}`).set(bearer(operator))).body.data.status).toBe('verified');
    // Writes work again.
    await writeUserWithConversations(t.services.db, 1);
  }, 300_000);
});

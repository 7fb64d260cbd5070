import knexFactory from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import type { BackupRow } from '@shared/backup/backups.repo.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { failingStorage } from '../../../test/failingStorage.ts';
import { bearer, recordEvents, registerUser, type TestUser } from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { backupQueueRef } from './drQueues.ts';
import { beginBackup } from './beginBackup.ts';
import { runBackup } from './runBackup.ts';
import { backUpAndSettle, flipOneByte, settledBackup, settledRestore, startDrApp } from './dr.fixtures.ts';

async function emailsIn(url: string): Promise<string[]> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await db('users').pluck('email');
  } finally {
    await db.destroy();
  }
}

describe('backups and restores through the API, on PostgreSQL', () => {
  let t: Awaited<ReturnType<typeof startDrApp>>;
  let operator: TestUser;
  let someone: TestUser;
  const scratchDatabases: string[] = [];
  const post = (path: string, body: object, user = operator) => t.request.post(path).set(bearer(user)).send(body);
  const storageKeyOf = async (id: string) => (await t.services.db<BackupRow>('backups').where({ id }).first())!.storage_key;

  beforeAll(async () => {
    // Every backup kept: retention has its own tests, and these restore older backups.
    t = await startDrApp('postgres', { BACKUP_RETENTION: '1000b' });
    [operator, someone] = [await registerUser(t), await registerUser(t)];
    await grantOperator(t.services.db, operator.email, 'cli');
    await writeUserWithConversations(t.services.db, 300);
  }, 60_000);
  afterAll(async () => {
    for (const name of scratchDatabases) await t.services.db.raw('drop database if exists ?? with (force)', [name]);
    await t?.close();
  });

  it('refuses a non-operator with 403 on every backup route, and runs nothing', async () => {
    expectError(await t.request.get('/api/dr/backups').set(bearer(someone)), 403, 'forbidden');
    expectError(await post('/api/dr/backups', { kind: 'logical' }, someone), 403, 'forbidden');
    expectError(await post('/api/dr/restores', { target: 'scratch' }, someone), 403, 'forbidden');
    expect(await t.services.db('backups').count({ n: '*' })).toEqual([{ n: '0' }]);
  });

  it('backs up and verifies: the backup is listed, newest first, with its tables, size and verification', async () => {
    const backup = await backUpAndSettle(t, operator);
    expect(backup).toMatchObject({ status: 'verified', kind: 'logical', format: 'pg_dump_custom+zstd', verification: { ok: true } });
    expect(backup.bytes).toBeGreaterThan(1000);
    expect(backup.durationMs).toEqual(expect.any(Number));
    expect(backup.tables!.find((table) => table.name === 'conversations')!.rows).toBe(300);
    const list = await t.request.get('/api/dr/backups?limit=1').set(bearer(operator));
    expect(list.status).toBe(200);
    expect(list.body.data[0]).toMatchObject({ id: backup.id, status: 'verified', bytes: backup.bytes });
    const audit = await t.services.db('audit_log').where({ action: 'backup.started', subject_id: backup.id });
    expect(audit).toHaveLength(1);
  }, 60_000);

  it('refuses a second backup while one is being made (409 backup_in_progress), and answers 501 for physical backups', async () => {
    const [first, second] = await Promise.all([post('/api/dr/backups', { kind: 'logical' }), post('/api/dr/backups', { kind: 'logical' })]);
    const [started, refused] = first.status === 202 ? [first, second] : [second, first];
    expect(started.status).toBe(202);
    expectError(refused, 409, 'backup_in_progress');
    expect((await settledBackup(t, operator, started.body.data.id)).status).toBe('verified');
    expectError(await post('/api/dr/backups', { kind: 'physical' }), 501, 'physical_backups_not_configured');
    expectError(
      await post('/api/dr/restores', { target: 'scratch', targetTime: new Date().toISOString() }),
      501,
      'physical_backups_not_configured',
    );
    expectError(await post('/api/dr/restores', { target: 'scratch', targetLsn: '0/1' }), 501, 'physical_backups_not_configured');
  }, 60_000);

  it('restore drill: a scratch restore holds what was written before the backup and not what came after', async () => {
    const before = await writeUserWithConversations(t.services.db, 5);
    const backup = await backUpAndSettle(t, operator);
    expect(backup.status).toBe('verified');
    const after = await writeUserWithConversations(t.services.db, 5);

    const res = await post('/api/dr/restores', { backupId: backup.id, target: 'scratch' });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ target: 'scratch', status: 'pending', databaseName: expect.stringMatching(/^twinmcp_restore_/) });
    scratchDatabases.push(res.body.data.databaseName);
    expect(await settledRestore(t, operator, res.body.data.id)).toMatchObject({ status: 'succeeded' });

    const url = new URL(t.config.DATABASE_URL!);
    url.pathname = `/${res.body.data.databaseName}`;
    const emails = await emailsIn(url.toString());
    expect(emails).toContain(before);
    expect(emails).not.toContain(after);
  }, 60_000);

  it('a corrupted backup fails re-verification, pages, and is restored only when forced with a reason (audited)', async () => {
    const backup = await backUpAndSettle(t, operator);
    await flipOneByte(t.services.storage, await storageKeyOf(backup.id));
    const failures = recordEvents(t.services.bus, 'backup.verification_failed');

    expect((await post(`/api/dr/backups/${backup.id}/verify`, {})).status).toBe(202);
    const failed = await settledBackup(t, operator, backup.id);
    expect(failed).toMatchObject({ status: 'failed', verification: { ok: false, code: expect.stringMatching(/^backup_/) } });
    await failures.waitFor((event) => event.backupId === backup.id);
    // And the operators are emailed (held in the outbox here: the test app has no SMTP server).
    expect(await t.services.db('email_outbox').where({ to: operator.email }).pluck('subject')).toEqual([
      'A backup failed its verification',
    ]);

    expectError(await post('/api/dr/restores', { backupId: backup.id, target: 'scratch' }), 409, 'backup_not_verified');
    const forced = await post('/api/dr/restores', { backupId: backup.id, target: 'scratch', force: { reason: 'drill: the only copy' } });
    expect(forced.status).toBe(202);
    expect(forced.body.data.forcedReason).toBe('drill: the only copy');
    const audit = await t.services.db('audit_log').where({ action: 'backup.restore_forced', subject_id: backup.id }).first();
    expect(audit).toMatchObject({ actor_id: operator.id, data: expect.objectContaining({ forcedReason: 'drill: the only copy' }) });
    // The bytes are still wrong: the forced restore refuses them before it touches anything.
    expect(await settledRestore(t, operator, forced.body.data.id)).toMatchObject({ status: 'failed' });
    failures.stop();
  }, 60_000);

  it('storage failing mid-backup marks it failed with nothing listed as usable, and the next backup works', async () => {
    const realStorage = t.services.storage;
    t.services.storage = failingStorage(realStorage, 20_000);
    let failed;
    try {
      const res = await post('/api/dr/backups', { kind: 'logical' });
      failed = await settledBackup(t, operator, res.body.data.id);
    } finally {
      t.services.storage = realStorage;
    }
    expect(failed).toMatchObject({ status: 'failed', error: { code: expect.any(String) }, verification: null });
    expect(await realStorage.head(await storageKeyOf(failed.id))).toBeUndefined();
    expectError(
      await post('/api/dr/restores', { backupId: failed.id, target: 'scratch', force: { reason: 'try it' } }),
      409,
      'backup_not_restorable',
    );

    expect((await backUpAndSettle(t, operator)).status).toBe('verified');
  }, 60_000);

  it('a backup whose process died is marked failed when its job runs again, and frees the way for the next', async () => {
    const cutOff = await beginBackup(t.services, { actorId: operator.id, kind: 'logical' });
    expectError(await post('/api/dr/backups', { kind: 'logical' }), 409, 'backup_in_progress');
    const rerun = await runBackup(t.services, cutOff.id, { isRerun: true });
    expect(rerun).toMatchObject({ status: 'failed', error: { code: 'backup_interrupted' } });
    expect((await backUpAndSettle(t, operator)).status).toBe('verified');
  }, 60_000);

  it('never deletes the newest verified backup; an older one loses its object and is marked deleted', async () => {
    const list = (await t.request.get('/api/dr/backups').set(bearer(operator))).body.data as Array<{ id: string; status: string }>;
    const verified = list.filter((backup) => backup.status === 'verified');
    expectError(await t.request.delete(`/api/dr/backups/${verified[0]!.id}`).set(bearer(operator)), 409, 'last_verified_backup');
    const older = verified.at(-1)!;
    const key = await storageKeyOf(older.id);
    expect((await t.request.delete(`/api/dr/backups/${older.id}`).set(bearer(operator))).status).toBe(204);
    expect((await t.request.get(`/api/dr/backups/${older.id}`).set(bearer(operator))).body.data.status).toBe('deleted');
    expect(await t.services.storage.head(key)).toBeUndefined();
  }, 30_000);

  it('pages the list newest first with a cursor, each backup once', async () => {
    const all = (await t.request.get('/api/dr/backups?limit=100').set(bearer(operator))).body.data as Array<{
      id: string;
      startedAt: string;
    }>;
    expect(all.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const res = await t.request.get(`/api/dr/backups${query}`).set(bearer(operator));
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((backup: { id: string }) => backup.id));
      cursor = res.body.pagination.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(all.map((backup) => backup.id));
    const times = all.map((backup) => backup.startedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('in place: asks for a one-time token, is read-only (503) while it runs, and writable again after', async () => {
    const kept = await writeUserWithConversations(t.services.db, 2);
    const backup = await backUpAndSettle(t, operator);
    const later = await writeUserWithConversations(t.services.db, 2);
    const backupsBefore = await t.services.db('backups').count({ n: '*' });

    const first = await post('/api/dr/restores', { backupId: backup.id, target: 'in-place' });
    expectError(first, 409, 'confirmation_required');
    const token = first.body.error.confirmationToken as string;
    expectError(
      await post('/api/dr/restores', { backupId: backup.id, target: 'in-place', confirmationToken: 'not-it' }),
      409,
      'confirmation_invalid',
    );

    // A reader holding a table keeps the restore waiting at its start, so the test can look at the API meanwhile.
    const reader = new pg.Client({ connectionString: t.config.DATABASE_URL });
    await reader.connect();
    await reader.query('begin');
    await reader.query('lock table conversations in access share mode');
    let restoreId: string;
    try {
      const started = await post('/api/dr/restores', { backupId: backup.id, target: 'in-place', confirmationToken: token });
      expect(started.status).toBe(202);
      restoreId = started.body.data.id;
      let refused = await post('/api/conversations', { title: 'during the restore' }, someone);
      await waitUntil('the API to go read-only', async () => {
        refused = await post('/api/conversations', { title: 'during the restore' }, someone);
        return refused.status === 503;
      });
      expectError(refused, 503, 'read_only_restore');
      expect(refused.headers['retry-after']).toBe('30');
    } finally {
      await reader.query('commit');
      await reader.end();
    }
    expect(await settledRestore(t, operator, restoreId!)).toMatchObject({ status: 'succeeded', error: null });

    const emails = await t.services.db('users').pluck('email');
    expect(emails).toContain(kept);
    expect(emails).not.toContain(later);
    // The list of backups is not rolled back with the data.
    expect(await t.services.db('backups').count({ n: '*' })).toEqual(backupsBefore);
    await waitUntil(
      'the API to take writes again',
      async () => (await post('/api/conversations', { title: 'after' }, operator)).status === 201,
    );
    // The token was spent.
    expectError(
      await post('/api/dr/restores', { backupId: backup.id, target: 'in-place', confirmationToken: token }),
      409,
      'confirmation_invalid',
    );
  }, 90_000);
});

describe('backups through the API, on the embedded database (PGlite)', () => {
  let t: Awaited<ReturnType<typeof startDrApp>>;
  let operator: TestUser;

  beforeAll(async () => {
    t = await startDrApp('pglite', { BACKUP_RETENTION: '1b' });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
    await writeUserWithConversations(t.services.db, 100);
  }, 60_000);
  afterAll(() => t?.close());

  it('backs up and verifies in a temporary PGlite; retention keeps the newest verified backup and deletes the older one', async () => {
    const first = await backUpAndSettle(t, operator);
    expect(first).toMatchObject({ status: 'verified', format: 'pglite_datadir_tar+zstd' });
    expect(first.tables!.find((table) => table.name === 'conversations')!.rows).toBe(100);
    const firstKey = (await t.services.db<BackupRow>('backups').where({ id: first.id }).first())!.storage_key;

    const second = await backUpAndSettle(t, operator);
    expect(second.status).toBe('verified');
    // Retention runs once the new backup has verified.
    await waitUntil(
      'the older backup to be pruned',
      async () => (await t.request.get(`/api/dr/backups/${first.id}`).set(bearer(operator))).body.data.status === 'deleted',
    );
    expect(await t.services.storage.head(firstKey)).toBeUndefined();
    expectError(await t.request.delete(`/api/dr/backups/${second.id}`).set(bearer(operator)), 409, 'last_verified_backup');
    expectError(
      await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'in-place' }),
      501,
      'in_place_restore_not_supported',
    );
  }, 90_000);

  it('a scheduled run makes and verifies a backup of its own, with no operator behind it', async () => {
    const before = await t.services.db('backups').pluck('id');
    await t.services.jobs.enqueue(backupQueueRef, { isScheduled: true });
    let scheduled: BackupRow | undefined;
    await waitUntil(
      'the scheduled backup to verify',
      async () => {
        scheduled = await t.services.db<BackupRow>('backups').whereNotIn('id', before).first();
        return scheduled?.status === 'verified';
      },
      60_000,
    );
    expect(scheduled).toMatchObject({ created_by: null, format: 'pglite_datadir_tar+zstd' });
  }, 90_000);
});

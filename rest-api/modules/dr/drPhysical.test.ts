import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { readBackupInfo } from '@shared/backup/physical/index.ts';
import { createBackedUpCluster, switchWalAndWaitForArchive, waitFor, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { TEST_JWT_SECRET } from '../../../test/http.ts';
import { spawnEntryPoint } from '../../../test/processes.ts';
import { startDrApp } from './dr.fixtures.ts';

type Backup = {
  id: string;
  status: string;
  kind: string;
  bytes: number | null;
  tables: Array<{ name: string; rows: number }> | null;
  physical: { label: string; type: string; priorLabel: string | null; restorePoint: { name: string; lsn: string; at: string } } | null;
  verification: { ok: boolean; reason?: string } | null;
  error: unknown;
  durationMs: number | null;
};
type Restore = {
  id: string;
  status: string;
  error: unknown;
  targetTime: string | null;
  result: { dataDirectory: string; backupLabel: string; tables: Array<{ name: string; rows: number }>; durationMs: number } | null;
};

const rowsOf = (tables: Array<{ name: string; rows: number }> | null | undefined, name: string) =>
  tables?.find((table) => table.name === name)?.rows;

describe('physical backups and point-in-time recovery through the API (pgBackRest, S3 over TLS)', () => {
  let s3: TlsS3rver;
  let source: BackedUpCluster;
  let t: Awaited<ReturnType<typeof startDrApp>>;
  let operator: TestUser;
  let first: Backup;
  let scratchDir: string;
  /** A moment between two writes (57 conversations then, 68 after the second). */
  let between: Date;
  const timings: string[] = [];

  async function settled<T extends { status: string }>(path: string, isDone: (row: T) => boolean): Promise<T> {
    let row: T | undefined;
    await waitUntil(
      `${path} to settle`,
      async () => {
        const res = await t.request.get(path).set(bearer(operator));
        // 503 while an in-place restore ends: ask again.
        if (res.status === 503) return false;
        expect(res.status).toBe(200);
        row = res.body.data;
        return isDone(row!);
      },
      240_000,
    );
    return row!;
  }

  async function backUp(type?: 'full' | 'incr'): Promise<Backup> {
    const started = Date.now();
    const res = await t.request.post('/api/dr/backups').set(bearer(operator)).send({ kind: 'physical', type });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ kind: 'physical', status: 'running' });
    const backup = await settled<Backup>(`/api/dr/backups/${res.body.data.id}`, (row) => !['running', 'verifying'].includes(row.status));
    timings.push(`physical ${backup.physical?.type ?? backup.status} backup + verification through the API: ${Date.now() - started} ms`);
    return backup;
  }

  beforeAll(async () => {
    s3 = await startTlsS3rver();
    source = await createBackedUpCluster(s3, 'a passphrase for the API drill');
    // The app, its job queue and the scratch checks all connect: more than the harness's 20.
    await source.cluster.query('alter system set max_connections = 100');
    await source.cluster.stop();
    await source.cluster.start();
    await source.cluster.query('create database app');
    // Scratch clusters inside the test cluster's directory, so closing it removes the ones restores keep.
    scratchDir = path.join(source.cluster.baseDirectory, 'scratch');
    await mkdir(scratchDir, { mode: 0o755 });
    t = await startDrApp('postgres', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${source.cluster.port}/app`,
      PGBACKREST_STANZA: source.setup.stanza,
      PGBACKREST_CONFIG: source.setup.configPath,
      BACKUP_RETENTION: '1000b',
      PGBACKREST_SCRATCH_DIR: scratchDir,
    });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
  }, 180_000);

  afterAll(async () => {
    console.info(timings.join('\n'));
    await t?.close();
    await closeAllTestPgClusters();
    await s3?.close();
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
    timings.push(`point-in-time restore into a scratch cluster through the API: ${Date.now() - started} ms`);
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
    timings.push(`point-in-time restore in place through the API: ${Date.now() - started} ms`);
    expect(restore).toMatchObject({ status: 'succeeded', error: null, result: { dataDirectory: null } });
    expect(rowsOf(restore.result!.tables, 'conversations')).toBe(57);
    expect(Number((await t.services.db('conversations').count({ n: '*' }))[0]!.n)).toBe(57);
    // The list of backups is carried across: the backup made after that moment is still listed, verified.
    expect((await t.request.get(`/api/dr/backups/${first.id}`).set(bearer(operator))).body.data.status).toBe('verified');
    // Writes work again.
    await writeUserWithConversations(t.services.db, 1);
  }, 300_000);

  it('takes an incremental on the full, refuses to delete the full under it, and deletes an older full through pgBackRest', async () => {
    const incremental = await backUp('incr');
    expect(incremental).toMatchObject({ status: 'verified', physical: { type: 'incr', priorLabel: first.physical!.label } });
    expectError(await t.request.delete(`/api/dr/backups/${first.id}`).set(bearer(operator)), 409, 'backup_has_dependents');

    const second = await backUp('full');
    expect(second).toMatchObject({ status: 'verified', physical: { type: 'full' } });
    // Verified again on request, by another restore to its restore point.
    expect((await t.request.post(`/api/dr/backups/${second.id}/verify`).set(bearer(operator))).status).toBe(202);
    const again = await settled<Backup>(`/api/dr/backups/${second.id}`, (row) => row.status !== 'verifying');
    expect(again).toMatchObject({ status: 'verified', verification: { ok: true } });
    expectError(await t.request.delete(`/api/dr/backups/${second.id}`).set(bearer(operator)), 409, 'last_verified_backup');
    // The incremental first, then the full it was built on.
    expect((await t.request.delete(`/api/dr/backups/${incremental.id}`).set(bearer(operator))).status).toBe(204);
    expect((await t.request.delete(`/api/dr/backups/${first.id}`).set(bearer(operator))).status).toBe(204);
    const labels = (await readBackupInfo(source.setup)).backups.map((backup) => backup.label);
    expect(labels).toEqual([second.physical!.label]);
    const deleted = await t.request.get(`/api/dr/backups/${first.id}`).set(bearer(operator));
    expect(deleted.body.data.status).toBe('deleted');
  }, 600_000);

  it('npm run backup -- --kind physical and npm run restore -- --time: plain progress lines, then what was restored', async () => {
    const run = async (script: string, ...args: string[]) => {
      const child = spawnEntryPoint(
        script,
        {
          NODE_ENV: 'test',
          JWT_SECRET: TEST_JWT_SECRET,
          LOG_LEVEL: 'warn',
          DATA_DIR: t.storageDir,
          STORAGE_DIR: t.storageDir,
          DATABASE_URL: t.config.DATABASE_URL!,
          PGBACKREST_STANZA: source.setup.stanza,
          PGBACKREST_CONFIG: source.setup.configPath,
          PGBACKREST_SCRATCH_DIR: scratchDir,
        },
        args,
      );
      const { code } = await child.exited;
      return {
        code,
        lines: child.logs.map((line) => (typeof line.text === 'string' ? line.text : (line.msg ?? ''))),
        stderr: child.stderr(),
      };
    };
    const started = Date.now();
    const backup = await run('ops/backup.ts', '--kind', 'physical', '--type', 'incr');
    timings.push(`npm run backup -- --kind physical --type incr: ${Date.now() - started} ms`);
    expect(backup).toMatchObject({ code: 0 });
    // Not a terminal: plain lines, pgBackRest's share done while it copies.
    expect(backup.lines.some((line) => /^dumping: [\d.]+%/.test(line))).toBe(true);
    expect(backup.lines.some((line) => /^backup \S+ verified: \d+ bytes/.test(line))).toBe(true);
    expect(backup.lines.some((line) => /^pgBackRest incr backup \S+I, restore point /.test(line))).toBe(true);

    const before = Number((await t.services.db('conversations').count({ n: '*' }))[0]!.n);
    const [target] = await source.cluster.query<{ at: Date }>(
      "select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at",
    );
    await waitFor(async () => {
      const [row] = await source.cluster.query<{ isPast: boolean }>('select clock_timestamp() > $1 as "isPast"', [target!.at]);
      return row!.isPast;
    }, 'the database clock passes the target');
    await writeUserWithConversations(t.services.db, 3);
    await switchWalAndWaitForArchive(source.cluster);
    expect((await run('ops/restore.ts', '--time', 'yesterday-ish')).code).toBe(2);
    const restored = await run('ops/restore.ts', '--time', target!.at.toISOString());
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.lines).toContain(`  conversations: ${before} rows`);
    expect(restored.lines.at(-1)).toMatch(/^restored to \S+ \(pgBackRest backup \S+I\) in \d+ ms into the scratch cluster \//);
  }, 300_000);

  it('marks a physical backup failed when the repository is unreachable, offers it nowhere, and the next one works', async () => {
    await s3.stop();
    let failed: Backup;
    try {
      failed = await backUp();
    } finally {
      await s3.restart();
    }
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'backup_repo_unreachable' }, physical: null });
    // A point-in-time restore starts from verified backups only.
    const restore = await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch', backupId: failed.id });
    expectError(restore, 409, 'backup_not_verified');
    // archive_command failed meanwhile; PostgreSQL retries it, and the next backup waits for the archive to catch up.
    const next = await backUp();
    expect(next).toMatchObject({ status: 'verified', verification: { ok: true } });
  }, 300_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readBackupInfo } from '@shared/backup/physical/index.ts';
import { switchWalAndWaitForArchive, waitFor, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { bearer, type TestUser } from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { TEST_JWT_SECRET } from '../../../test/http.ts';
import { spawnEntryPoint } from '../../../test/processes.ts';
import { startPhysicalBackupRig, type Backup, type PhysicalBackupRig } from './drPhysical.fixtures.ts';

/**
 * The longer physical-backup drills (npm run test:drills; not in CI's run, several minutes on two cores):
 * incrementals and deleting through pgBackRest, the CLI end to end, and a repository that goes away.
 */
describe('physical backup drills through the API and the CLI (pgBackRest, S3 over TLS)', () => {
  let rig: PhysicalBackupRig;
  let s3: TlsS3rver;
  let source: BackedUpCluster;
  let t: PhysicalBackupRig['t'];
  let operator: TestUser;
  let scratchDir: string;
  let first: Backup;
  const backUp = (type?: 'full' | 'incr') => rig.backUp(type);
  const settled = <T extends { status: string }>(path: string, isDone: (row: T) => boolean) => rig.settled(path, isDone);

  beforeAll(async () => {
    rig = await startPhysicalBackupRig('a passphrase for the drills');
    ({ s3, source, t, operator, scratchDir } = rig);
    await writeUserWithConversations(t.services.db, 50);
    first = await backUp();
    expect(first).toMatchObject({ status: 'verified', physical: { type: 'full' } });
  }, 480_000);
  afterAll(async () => {
    await rig?.close();
    await closeAllTestPgClusters();
  });

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
    rig.timings.push(`npm run backup -- --kind physical --type incr: ${Date.now() - started} ms`);
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

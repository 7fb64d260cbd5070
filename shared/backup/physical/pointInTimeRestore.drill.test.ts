import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackedUpCluster, switchWalAndWaitForArchive, waitFor, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters, createTestPgCluster, type TestPgCluster } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { readBackupInfo, restoreBackup, takeBackup, type RestoreTarget } from './index.ts';
import { PhysicalBackupError } from './PhysicalBackupError.ts';

async function notesIn(cluster: TestPgCluster): Promise<string[]> {
  const rows = await cluster.query<{ batch: string }>('select distinct batch from notes order by batch');
  return rows.map((row) => row.batch);
}

describe('point-in-time recovery from pgBackRest backups into a scratch cluster', () => {
  let s3: TlsS3rver;
  let source: BackedUpCluster;
  /** The moment after batch B committed and before batch C did. */
  let betweenBAndC: Date;
  /** The WAL position just after batch B's commit. */
  let lsnAfterB: string;

  beforeAll(async () => {
    s3 = await startTlsS3rver();
    source = await createBackedUpCluster(s3, 'a passphrase for the drill');
    const { cluster } = source;
    await cluster.query('create table notes (batch text not null, n int not null)');
    await cluster.query("insert into notes select 'A', n from generate_series(1, 1000) n");
    await takeBackup(source.setup, { type: 'full' });
    // A target is reachable only once the backup has ended (pgBackRest records whole seconds).
    const { earliestRecoverableAt } = await readBackupInfo(source.setup);
    await waitFor(async () => Date.now() > earliestRecoverableAt!.getTime(), 'the backup is the earliest recoverable point');

    await cluster.query("insert into notes select 'B', n from generate_series(1, 1000) n");
    const [after] = await cluster.query<{ lsn: string; at: Date }>(
      "select pg_current_wal_lsn()::text as lsn, date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at",
    );
    lsnAfterB = after!.lsn;
    betweenBAndC = after!.at;
    // Batch C must commit strictly after the target moment: wait on the database's clock, not a fixed sleep.
    await waitFor(async () => {
      const [now] = await cluster.query<{ isPast: boolean }>('select clock_timestamp() > $1 as "isPast"', [betweenBAndC]);
      return now!.isPast;
    }, 'the database clock passes the target');

    const committedC = Date.now();
    await cluster.query("insert into notes select 'C', n from generate_series(1, 1000) n");
    await switchWalAndWaitForArchive(cluster);
    console.info(`WAL archive lag (commit → segment in the repository, with pg_switch_wal): ${Date.now() - committedC} ms`);
  }, 180_000);

  afterAll(async () => {
    await closeAllTestPgClusters();
    await s3?.close();
  });

  /** Restores into a fresh scratch cluster, starts it and waits until it has promoted. */
  async function restoreIntoScratch(target: RestoreTarget): Promise<TestPgCluster> {
    const scratch = await createTestPgCluster({ isInitialized: false });
    const started = Date.now();
    await restoreBackup(source.setup, { target, destination: { dataDirectory: scratch.dataDirectory } });
    await scratch.start();
    await scratch.waitUntilWritable();
    console.info(`restore to ${JSON.stringify(target)} and recovery took ${Date.now() - started} ms`);
    return scratch;
  }

  it('restores to a time: rows written before it are there, rows written after it are not', async () => {
    const scratch = await restoreIntoScratch({ time: betweenBAndC });
    expect(await notesIn(scratch)).toEqual(['A', 'B']);
    expect(await scratch.query('select count(*)::int as count from notes')).toEqual([{ count: 2000 }]);
    // The scratch cluster is a writable primary that never archives into the source's repository.
    await scratch.query("insert into notes values ('scratch', 1)");
    expect(await scratch.query<{ setting: string }>("select setting from pg_settings where name = 'archive_mode'")).toEqual([
      { setting: 'off' },
    ]);
    await scratch.close();
    expect(await notesIn(source.cluster)).toEqual(['A', 'B', 'C']);
  }, 120_000);

  it('restores to a WAL position (LSN) the same way', async () => {
    const scratch = await restoreIntoScratch({ lsn: lsnAfterB });
    expect(await notesIn(scratch)).toEqual(['A', 'B']);
    await scratch.close();
  }, 120_000);

  it('restores to the end of the archive (latest): every archived commit is there', async () => {
    const scratch = await restoreIntoScratch({ latest: true });
    expect(await notesIn(scratch)).toEqual(['A', 'B', 'C']);
    await scratch.close();
  }, 120_000);

  it('refuses a target before the earliest backup, naming the earliest possible time, or in the future, and touches nothing', async () => {
    const { earliestRecoverableAt, backups } = await readBackupInfo(source.setup);
    const destination = path.join(source.cluster.baseDirectory, 'never-restored');
    const tooEarly = new Date(earliestRecoverableAt!.getTime() - 60_000);

    const error = await restoreBackup(source.setup, { target: { time: tooEarly }, destination: { dataDirectory: destination } }).then(
      () => null,
      (failure: unknown) => failure as PhysicalBackupError,
    );
    expect(error).toBeInstanceOf(PhysicalBackupError);
    expect(error).toMatchObject({ code: 'restore_target_before_earliest', status: 400 });
    expect(error!.details).toEqual({ earliest: earliestRecoverableAt!.toISOString(), earliestLsn: backups[0]!.lsn.stop });
    expect(error!.message).toContain(earliestRecoverableAt!.toISOString());
    expect(existsSync(destination)).toBe(false);

    await expect(
      restoreBackup(source.setup, { target: { lsn: '0/10' }, destination: { dataDirectory: destination } }),
    ).rejects.toMatchObject({
      code: 'restore_target_before_earliest',
    });
  }, 60_000);
});

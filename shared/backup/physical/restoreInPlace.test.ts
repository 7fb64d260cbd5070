import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackedUpCluster, switchWalAndWaitForArchive, waitFor, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { readBackupInfo, restoreBackup, takeBackup, type PhysicalBackupProgress } from './index.ts';

describe('restoring a cluster in place to the moment before a destructive change', () => {
  let s3: TlsS3rver;
  let source: BackedUpCluster;
  let beforeTheDrop: Date;

  beforeAll(async () => {
    s3 = await startTlsS3rver();
    source = await createBackedUpCluster(s3, 'in-place drill passphrase');
    const { cluster } = source;
    await cluster.query('create table workspaces (id int primary key, name text not null)');
    await cluster.query("insert into workspaces select n, 'workspace ' || n from generate_series(1, 500) n");
    await takeBackup(source.setup, { type: 'full' });
    const { earliestRecoverableAt } = await readBackupInfo(source.setup);
    await waitFor(async () => Date.now() > earliestRecoverableAt!.getTime(), 'the backup is the earliest recoverable point');
    await cluster.query("insert into workspaces values (501, 'made after the backup')");
    const [row] = await cluster.query<{ at: Date }>(
      "select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at",
    );
    beforeTheDrop = row!.at;
    await waitFor(async () => {
      const [now] = await cluster.query<{ isPast: boolean }>('select clock_timestamp() > $1 as "isPast"', [beforeTheDrop]);
      return now!.isPast;
    }, 'the database clock passes the target');
    // The mistake the restore undoes.
    await cluster.query('drop table workspaces');
    await switchWalAndWaitForArchive(cluster);
  }, 180_000);

  afterAll(async () => {
    await closeAllTestPgClusters();
    await s3?.close();
  });

  it('refuses to restore over a running cluster or into a directory that is not empty', async () => {
    await expect(restoreBackup(source.setup, { target: { time: beforeTheDrop }, destination: 'in-place' })).rejects.toMatchObject({
      code: 'restore_destination_in_use',
    });
    const occupied = path.join(source.cluster.baseDirectory, 'occupied');
    await mkdir(occupied);
    await writeFile(path.join(occupied, 'keep-me'), 'an operator file');
    await expect(
      restoreBackup(source.setup, { target: { time: beforeTheDrop }, destination: { dataDirectory: occupied } }),
    ).rejects.toMatchObject({
      code: 'restore_destination_in_use',
    });
    expect(await readdir(occupied)).toEqual(['keep-me']);
    // The cluster kept running untouched.
    expect(await source.cluster.query("select to_regclass('workspaces') as found")).toEqual([{ found: null }]);
  }, 60_000);

  it('brings the dropped table back with every row committed before the drop, reporting progress', async () => {
    await source.cluster.stop();
    const progress: PhysicalBackupProgress[] = [];
    const started = Date.now();
    await restoreBackup(source.setup, {
      target: { time: beforeTheDrop },
      destination: 'in-place',
      onProgress: (step) => progress.push(step),
    });
    const restoredMs = Date.now() - started;
    await source.cluster.start();
    await source.cluster.waitUntilWritable();
    console.info(`in-place delta restore took ${restoredMs} ms, with recovery ${Date.now() - started} ms`);

    expect(progress.at(-1)?.percent).toBe(100);
    expect(await source.cluster.query('select count(*)::int as count, max(id) as last from workspaces')).toEqual([
      { count: 501, last: 501 },
    ]);
    // Still the archived, backed-up primary: archiving stays on after an in-place restore.
    expect(await source.cluster.query("select setting from pg_settings where name = 'archive_mode'")).toEqual([{ setting: 'on' }]);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackedUpCluster, expectPhysicalBackupFailure, seedNotes, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { checkStanza, readBackupInfo, takeBackup, type PhysicalBackupProgress } from './index.ts';

describe('physical backups with pgBackRest to an encrypted S3 repository', () => {
  let s3: TlsS3rver;
  let backedUp: BackedUpCluster;

  beforeAll(async () => {
    s3 = await startTlsS3rver();
    backedUp = await createBackedUpCluster(s3, 'correct horse battery staple');
    await seedNotes(backedUp.cluster);
  }, 120_000);

  afterAll(async () => {
    await closeAllTestPgClusters();
    await s3?.close();
  });

  it('lists a full and then an incremental backup with their sizes, times and WAL ranges, reporting progress', async () => {
    await checkStanza(backedUp.setup);
    const progress: PhysicalBackupProgress[] = [];
    const fullStarted = Date.now();
    const full = await takeBackup(backedUp.setup, { type: 'full', onProgress: (step) => progress.push(step) });
    const fullMs = Date.now() - fullStarted;
    await backedUp.cluster.query("insert into notes (body) select 'later' from generate_series(1, 100)");
    const incr = await takeBackup(backedUp.setup, { type: 'incr' });

    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)?.percent).toBe(100);
    expect(progress.map((step) => step.percent)).toEqual([...progress.map((step) => step.percent)].sort((a, b) => a - b));

    const info = await readBackupInfo(backedUp.setup);
    const [listedFull, listedIncr] = info.backups.slice(-2);
    expect(listedFull).toMatchObject({ label: full.label, type: 'full', priorLabel: null });
    expect(listedIncr).toMatchObject({ label: incr.label, type: 'incr', priorLabel: full.label });
    // The incremental copies only what changed; the repository holds it compressed and encrypted.
    expect(listedFull!.copiedBytes).toBe(listedFull!.databaseBytes);
    expect(listedIncr!.copiedBytes).toBeLessThan(listedFull!.databaseBytes / 4);
    expect(listedFull!.repositoryBytes).toBeLessThan(listedFull!.databaseBytes);
    expect(listedFull!.stoppedAt.getTime()).toBeGreaterThanOrEqual(listedFull!.startedAt.getTime());
    expect(listedIncr!.startedAt.getTime()).toBeGreaterThanOrEqual(listedFull!.stoppedAt.getTime());
    expect(listedFull!.wal.start).toMatch(/^[0-9A-F]{24}$/);
    expect(info.archivedWal!.max >= listedIncr!.wal.stop).toBe(true);
    expect(info.earliestRecoverableAt!.getTime()).toBe(info.backups[0]!.stoppedAt.getTime() + 1000);
    expect(info.latestBackupAt).toEqual(listedIncr!.stoppedAt);
    expect(info.isBackupRunning).toBe(false);
    console.info(`full backup of ${listedFull!.databaseBytes} bytes took ${fullMs} ms (${listedFull!.repositoryBytes} bytes stored)`);
  }, 120_000);

  it('refuses a wrong passphrase with a clear error and changes nothing in the repository', async () => {
    await takeBackup(backedUp.setup, { type: 'full' });
    const before = await s3.fingerprint();
    const wrong = await backedUp.variant({ cipherPassphrase: 'not the passphrase' });

    const backupError = await expectPhysicalBackupFailure(takeBackup(wrong, { type: 'incr' }), 'backup_passphrase_wrong');
    expect(backupError.message).toMatch(/cannot be decrypted with this passphrase/);
    expect(backupError.message).not.toMatch(/[^\x20-\x7e’]/);
    await expectPhysicalBackupFailure(readBackupInfo(wrong), 'backup_passphrase_wrong');
    expect(await s3.fingerprint()).toEqual(before);
    // The right passphrase still reads everything.
    expect((await readBackupInfo(backedUp.setup)).backups.length).toBeGreaterThan(0);
  }, 120_000);

  it('lets only one of two backups started at once run; the other is refused with backup_already_running', async () => {
    const results = await Promise.allSettled([takeBackup(backedUp.setup, { type: 'full' }), takeBackup(backedUp.setup, { type: 'full' })]);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'backup_already_running', status: 409 });
  }, 120_000);
});

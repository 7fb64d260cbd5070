import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackedUpCluster, expectPhysicalBackupFailure, seedNotes, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { readBackupInfo, takeBackup } from './index.ts';
import { PhysicalBackupError } from './PhysicalBackupError.ts';

describe('physical backups while the S3 repository goes down', () => {
  let s3: TlsS3rver;
  let backedUp: BackedUpCluster;

  beforeAll(async () => {
    s3 = await startTlsS3rver();
    backedUp = await createBackedUpCluster(s3, 'outage drill passphrase');
    await seedNotes(backedUp.cluster);
  }, 120_000);

  afterAll(async () => {
    await closeAllTestPgClusters();
    await s3?.close();
  });

  it('fails a backup with backup_repo_unreachable while the store is down, and the next one works once it is back', async () => {
    await s3.stop();
    const failedAt = Date.now();
    try {
      const error = await expectPhysicalBackupFailure(takeBackup(backedUp.setup, { type: 'incr' }), 'backup_repo_unreachable');
      expect(error.message).toMatch(/unreachable.*(connect|refused)/i);
      console.info(`unreachable repository reported after ${Date.now() - failedAt} ms (io-timeout ${backedUp.setup.ioTimeoutSeconds} s)`);
    } finally {
      await s3.restart();
    }
    const before = (await readBackupInfo(backedUp.setup)).backups.length;
    const next = await takeBackup(backedUp.setup, { type: 'incr' });
    const after = await readBackupInfo(backedUp.setup);
    expect(after.backups.length).toBe(before + 1);
    expect(after.backups.at(-1)?.label).toBe(next.label);
  }, 180_000);

  it('fails a backup whose store goes down mid-way, lists nothing half-written, and the next backup works', async () => {
    const before = (await readBackupInfo(backedUp.setup)).backups.map((backup) => backup.label);
    let stopping: Promise<void> | undefined;
    const startedAt = Date.now();
    const error = await takeBackup(backedUp.setup, { type: 'full', onProgress: () => void (stopping ??= s3.stop()) }).then(
      () => null,
      (failure: unknown) => failure as PhysicalBackupError,
    );
    console.info(`a store lost mid-backup was reported after ${Date.now() - startedAt} ms`);
    await stopping;
    await s3.restart();
    expect(stopping).toBeDefined();
    expect(error).toBeInstanceOf(PhysicalBackupError);
    expect(error!.code).toBe('backup_repo_unreachable');
    expect((await readBackupInfo(backedUp.setup)).backups.map((backup) => backup.label)).toEqual(before);

    const next = await takeBackup(backedUp.setup, { type: 'full' });
    const after = (await readBackupInfo(backedUp.setup)).backups.map((backup) => backup.label);
    expect(after.at(-1)).toBe(next.label);
    // Only the new backup appeared (retention may have expired the oldest full).
    expect(after.filter((label) => !before.includes(label))).toEqual([next.label]);
  }, 180_000);
});

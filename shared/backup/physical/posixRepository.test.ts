import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { createBackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters, createTestPgCluster } from '../../../test/pgCluster.ts';
import { readBackupInfo, restoreBackup, takeBackup } from './index.ts';

afterAll(closeAllTestPgClusters);

it('backs up to a local directory, encrypted, and restores from it (no object storage configured)', async () => {
  const { cluster, setup } = await createBackedUpCluster('posix', 'local directory passphrase');
  await cluster.query("create table notes as select 'kept on disk ' || n as body from generate_series(1, 1000) n");
  const backup = await takeBackup(setup, { type: 'full' });
  expect((await readBackupInfo(setup)).backups.map((listed) => listed.label)).toEqual([backup.label]);

  // Encrypted at rest: the repository's own index is not readable text.
  const repository = setup.repository.kind === 'posix' ? setup.repository.path : '';
  expect(await readdir(path.join(repository, 'backup', 'main'))).toContain(backup.label);
  expect(await readFile(path.join(repository, 'backup', 'main', 'backup.info'), 'latin1')).not.toContain('[backup:current]');

  const scratch = await createTestPgCluster({ isInitialized: false });
  await restoreBackup(setup, { target: { latest: true }, destination: { dataDirectory: scratch.dataDirectory } });
  await scratch.start();
  await scratch.waitUntilWritable();
  expect(await scratch.query('select count(*)::int as count from notes')).toEqual([{ count: 1000 }]);
}, 120_000);

import path from 'node:path';
import { expect } from '@jest/globals';
import { applyArchiveSettings, createStanza, writePgBackRestConfig, type PhysicalBackupSetup } from '@shared/backup/physical/index.ts';
import { PhysicalBackupError } from '@shared/backup/physical/PhysicalBackupError.ts';
import { createTestPgCluster, type TestPgCluster } from './pgCluster.ts';
import type { TlsS3rver } from './tlsS3rver.ts';

/** A running test cluster that archives its WAL to an encrypted pgBackRest repository (a TLS s3rver, or a local directory). */
export interface BackedUpCluster {
  cluster: TestPgCluster;
  setup: PhysicalBackupSetup;
  /** A copy of `setup` with its own config file, for tests that change one thing (the passphrase, …). */
  variant(changes: Partial<PhysicalBackupSetup>): Promise<PhysicalBackupSetup>;
}

/**
 * initdb + archive settings + start + stanza-create. `ioTimeoutSeconds` is short because an unreachable
 * repository fails only after about 8 io-timeouts; loopback answers in milliseconds.
 */
export async function createBackedUpCluster(s3: TlsS3rver | 'posix', cipherPassphrase: string): Promise<BackedUpCluster> {
  const cluster = await createTestPgCluster();
  // Inside the cluster's base directory, so cluster.close() removes it too.
  const home = path.join(cluster.baseDirectory, 'pgbackrest');
  const setup: PhysicalBackupSetup = {
    stanza: 'main',
    configPath: path.join(home, 'pgbackrest.conf'),
    workDirectory: path.join(home, 'work'),
    osUser: cluster.osUser,
    cluster: { dataDirectory: cluster.dataDirectory, port: cluster.port, socketDirectory: cluster.socketDirectory },
    repository:
      s3 === 'posix'
        ? { kind: 'posix', path: path.join(cluster.baseDirectory, 'repository') }
        : {
            kind: 's3',
            bucket: s3.bucket,
            endpoint: s3.endpoint,
            port: s3.port,
            region: 'us-east-1',
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            isPathStyle: true,
            caFile: s3.caFile,
          },
    cipherPassphrase,
    ioTimeoutSeconds: 2,
  };
  await writePgBackRestConfig(setup);
  await applyArchiveSettings(setup);
  await cluster.start();
  await createStanza(setup);
  let variants = 0;
  return {
    cluster,
    setup,
    async variant(changes) {
      const variant = { ...setup, ...changes, configPath: path.join(home, `variant-${++variants}.conf`) };
      await writePgBackRestConfig(variant);
      return variant;
    },
  };
}

/** Polls `condition` until it holds; fails after `timeoutMs` saying `what`. */
export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Ends the current WAL segment and waits until PostgreSQL reports it archived — archive_command has
 * returned, so the segment is in the repository — instead of waiting up to archive_timeout.
 */
export async function switchWalAndWaitForArchive(cluster: TestPgCluster): Promise<void> {
  const [row] = await cluster.query<{ segment: string }>('select pg_walfile_name(pg_switch_wal()) as segment');
  await waitFor(async () => {
    const [archiver] = await cluster.query<{ last: string | null }>('select last_archived_wal as last from pg_stat_archiver');
    return (archiver?.last ?? '') >= row!.segment;
  }, `WAL segment ${row!.segment} is archived`);
}

/** Rejects unless `promise` fails with a PhysicalBackupError of this code; returns it. */
export async function expectPhysicalBackupFailure(promise: Promise<unknown>, code: string): Promise<PhysicalBackupError> {
  const error = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(PhysicalBackupError);
  expect((error as PhysicalBackupError).code).toBe(code);
  return error as PhysicalBackupError;
}

/** A table of 20,000 short notes (a few MB), so a backup has pages to copy and a restore something to check. */
export async function seedNotes(cluster: TestPgCluster): Promise<void> {
  await cluster.query('create table notes (id serial primary key, body text)');
  await cluster.query("insert into notes (body) select repeat('x', 200) from generate_series(1, 20000)");
}

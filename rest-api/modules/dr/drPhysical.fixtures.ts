import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { createBackedUpCluster, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { startTlsS3rver, type TlsS3rver } from '../../../test/tlsS3rver.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { startDrApp } from './dr.fixtures.ts';

export type Backup = {
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
export type Restore = {
  id: string;
  status: string;
  error: unknown;
  targetTime: string | null;
  result: { dataDirectory: string; backupLabel: string; tables: Array<{ name: string; rows: number }>; durationMs: number } | null;
};

export const rowsOf = (tables: Array<{ name: string; rows: number }> | null | undefined, name: string) =>
  tables?.find((table) => table.name === name)?.rows;

/** A PostgreSQL cluster archiving to pgBackRest on an S3 server over TLS, and the app on it with physical backups on. */
export interface PhysicalBackupRig {
  s3: TlsS3rver;
  source: BackedUpCluster;
  t: Awaited<ReturnType<typeof startDrApp>>;
  operator: TestUser;
  /** Where restores put their scratch clusters (inside the test cluster's directory: closing it removes them). */
  scratchDir: string;
  /** How long things took, printed when the rig closes. */
  timings: string[];
  /** GETs `path` as the operator until `isDone` says the row settled. */
  settled<T extends { status: string }>(path: string, isDone: (row: T) => boolean): Promise<T>;
  /** A physical backup through the API, waited for until it is verified or failed. */
  backUp(type?: 'full' | 'incr'): Promise<Backup>;
  close(): Promise<void>;
}

export async function startPhysicalBackupRig(passphrase: string): Promise<PhysicalBackupRig> {
  const timings: string[] = [];
  const s3 = await startTlsS3rver();
  const source = await createBackedUpCluster(s3, passphrase);
  // The app, its job queue and the scratch checks all connect: more than the harness's 20.
  await source.cluster.query('alter system set max_connections = 100');
  await source.cluster.stop();
  await source.cluster.start();
  await source.cluster.query('create database app');
  const scratchDir = path.join(source.cluster.baseDirectory, 'scratch');
  await mkdir(scratchDir, { mode: 0o755 });
  const t = await startDrApp('postgres', {
    DATABASE_URL: `postgres://postgres@127.0.0.1:${source.cluster.port}/app`,
    PGBACKREST_STANZA: source.setup.stanza,
    PGBACKREST_CONFIG: source.setup.configPath,
    BACKUP_RETENTION: '1000b',
    PGBACKREST_SCRATCH_DIR: scratchDir,
  });
  const operator = await registerUser(t);
  await grantOperator(t.services.db, operator.email, 'cli');

  async function settled<T extends { status: string }>(rowPath: string, isDone: (row: T) => boolean): Promise<T> {
    let row: T | undefined;
    await waitUntil(
      `${rowPath} to settle`,
      async () => {
        const res = await t.request.get(rowPath).set(bearer(operator));
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

  return {
    s3,
    source,
    t,
    operator,
    scratchDir,
    timings,
    settled,
    backUp,
    async close() {
      console.info(timings.join('\n'));
      await t.close();
      await closeAllTestPgClusters();
      await s3.close();
    },
  };
}

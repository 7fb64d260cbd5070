import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackedUpCluster, type BackedUpCluster } from '../../../test/backedUpCluster.ts';
import { closeAllTestPgClusters } from '../../../test/pgCluster.ts';
import { firstDifference, readTableStats, type RunQuery } from '../tableStats.ts';
import { markRestorePoint, startScratchCluster, takeBackup } from './index.ts';

describe('a restore point made while writers keep writing restores to exactly the rows it recorded', () => {
  let source: BackedUpCluster;

  beforeAll(async () => {
    source = await createBackedUpCluster('posix', 'a passphrase for the restore point');
    await source.cluster.query('create table ticks (id bigserial primary key, at timestamptz not null default clock_timestamp())');
    await source.cluster.query('create table other (id int primary key)');
    await source.cluster.query('insert into other select generate_series(1, 500)');
  }, 120_000);

  afterAll(async () => {
    await closeAllTestPgClusters();
  });

  it('records counts and checksums as of the point; the scratch restore to it matches them, and is removed after', async () => {
    const url = `postgres://postgres@127.0.0.1:${source.cluster.port}/postgres`;
    const backup = await takeBackup(source.setup, { type: 'full' });
    // Two writers committing one row at a time until the point is made and a little after.
    let isWriting = true;
    const writers = [0, 1].map(async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      let rows = 0;
      while (isWriting) {
        await client.query('insert into ticks default values');
        rows += 1;
      }
      await client.end();
      return rows;
    });
    const point = await markRestorePoint(url, 'drill-point');
    isWriting = false;
    const written = (await Promise.all(writers)).reduce((sum, rows) => sum + rows, 0);
    const recorded = point.tables.find((table) => table.name === 'ticks')!.rows;
    // The writers were busy on both sides of the point: it caught them mid-stream.
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(written);

    const scratchDirectory = path.join(source.cluster.baseDirectory, 'scratch');
    await mkdir(scratchDirectory, { mode: 0o755 });
    const scratch = await startScratchCluster(source.setup, {
      target: { restorePoint: 'drill-point' },
      backupLabel: backup.label,
      pgBinDirectory: '/usr/lib/postgresql/15/bin',
      scratchDirectory,
    });
    try {
      const restored = await scratch.withClient('postgres', async (client) => {
        const query: RunQuery = async <R>(sql: string) => (await client.query(sql)).rows as R[];
        await query('begin');
        const stats = await readTableStats(query);
        await query('commit');
        return stats;
      });
      expect(firstDifference(point.tables, restored)).toBeUndefined();
      expect(scratch.backup.label).toBe(backup.label);
    } finally {
      await scratch.remove();
    }
    expect(await readdir(scratchDirectory)).toEqual([]);
  }, 180_000);
});

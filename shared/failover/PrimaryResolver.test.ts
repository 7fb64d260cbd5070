import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDb, primaryResolverOf, type Db } from '../db.ts';
import { isFailoverError } from './isFailoverError.ts';
import { closeAllTestPgClusters, createTestReplicatedPair, type TestPgCluster } from '../../test/pgCluster.ts';

const multiHostUrl = (...clusters: TestPgCluster[]) =>
  `postgres://postgres@${clusters.map((c) => `127.0.0.1:${c.port}`).join(',')}/postgres?target_session_attrs=read-write`;

describe('following the primary of a multi-host DATABASE_URL', () => {
  let primary: TestPgCluster;
  let standby: TestPgCluster;
  let db: Db;
  beforeAll(async () => {
    ({ primary, standby } = await createTestReplicatedPair());
    // The standby first: the resolver must not simply take the first host that answers.
    db = createDb(
      { DATABASE_URL: multiHostUrl(standby, primary), DATABASE_POOL_MAX: 3, DATA_DIR: 'unused', DATABASE_FAILOVER_TIMEOUT_MS: 20_000 },
      { log: pino({ level: 'silent' }) },
    );
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await closeAllTestPgClusters();
  });

  it('finds the writable server, whatever its place in the list', async () => {
    const [row] = (await db.raw('select inet_server_port() as port, pg_is_in_recovery() as recovering')).rows;
    expect(row).toEqual({ port: primary.port, recovering: false });
    expect(primaryResolverOf(db)!.known).toEqual({ host: '127.0.0.1', port: primary.port });
    await db.raw('create table notes (id serial primary key, body text)');
    await db('notes').insert({ body: 'before the failover' });
  });

  it('moves to the promoted standby once the primary is lost, keeping what was committed', async () => {
    await db.raw('select 1'); // a pooled connection to the old primary, to be dropped
    await primary.close(); // immediate stop: the server is gone
    await standby.query('select pg_promote()');
    await standby.waitUntilWritable();
    // The first statement after the loss may fail (it was on a dead connection); that failure reads
    // as a failover, and the next one goes to the new primary.
    const first = await db('notes')
      .insert({ body: 'after the failover' })
      .catch((error: unknown) => error);
    if (first instanceof Error) {
      expect(isFailoverError(first)).toBe(true);
      await db('notes').insert({ body: 'after the failover' });
    }
    const [row] = (await db.raw('select inet_server_port() as port')).rows;
    expect(row.port).toBe(standby.port);
    expect((await db('notes').orderBy('id')).map((note: { body: string }) => note.body)).toEqual([
      'before the failover',
      'after the failover',
    ]);
  }, 60_000);

  it('answers database_failover, not a hang, when no server takes writes', async () => {
    const lonely = createDb(
      { DATABASE_URL: multiHostUrl(standby, standby), DATABASE_POOL_MAX: 1, DATA_DIR: 'unused', DATABASE_FAILOVER_TIMEOUT_MS: 1_000 },
      { log: pino({ level: 'silent' }) },
    );
    // The standby is writable now; make it read-only for new sessions, as a not-yet-open promotion is.
    await standby.query("alter system set default_transaction_read_only = 'on'");
    await standby.query('select pg_reload_conf()');
    try {
      const error = await lonely.raw('select 1').catch((caught: unknown) => caught);
      expect(isFailoverError(error)).toBe(true);
    } finally {
      await standby.query('alter system reset default_transaction_read_only');
      await standby.query('select pg_reload_conf()');
      await lonely.destroy();
    }
  }, 30_000);
});

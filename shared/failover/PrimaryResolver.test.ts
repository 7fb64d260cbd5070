import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDb, primaryResolverOf, type Db } from '../db.ts';
import { isFailoverError } from './isFailoverError.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

  it('gives up a frozen primary (it fails nothing by itself) and moves to the promoted standby', async () => {
    await withFrozenPrimary({ primaryCheckMs: 200 }, async ({ db, standby, table }) => {
      // Sent to the frozen server: it would wait for ever, had the check not given the server up.
      const cutOff = db(table)
        .insert({ id: 2 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await standby.query('select pg_promote()');
      await standby.waitUntilWritable();
      expect(isFailoverError(await cutOff)).toBe(true);
      await db(table).insert({ id: 3 });
      expect((await db.raw('select inet_server_port() as port')).rows[0].port).toBe(standby.port);
    });
  }, 60_000);

  it('cuts a query left waiting on the frozen old primary once another request has found the new one', async () => {
    // No periodic check in this test: the search is started by a request's own failure, as it is
    // when traffic notices the loss first, and nothing else would ever cut the waiting query.
    await withFrozenPrimary({ primaryCheckMs: 3_600_000 }, async ({ db, standby, table }) => {
      // Takes the pooled connection to the frozen server: nothing answers it, nothing fails it.
      const waiting = db(table)
        .insert({ id: 2 })
        .then(
          () => 'committed',
          (error: unknown) => error,
        );
      await standby.query('select pg_promote()');
      await standby.waitUntilWritable();
      // A second request needs a new connection: it cannot open one to the frozen server, which
      // starts the search, and is served by the promoted standby.
      await expect(retryOnFailover(() => db(table).insert({ id: 3 }))).resolves.toBeDefined();
      const outcome = await Promise.race([waiting, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
      expect(isFailoverError(outcome)).toBe(true);
    });
  }, 60_000);
});

/**
 * A fresh replicated pair behind a pool that follows the primary (two connections, 500 ms connect
 * timeout, the primary checked every `primaryCheckMs`), with a table whose row 1 reached the standby;
 * `body` runs with the primary's processes SIGSTOPped, and they are resumed after it.
 */
async function withFrozenPrimary(
  options: { primaryCheckMs: number },
  body: (frozen: { db: Db; standby: TestPgCluster; table: string }) => Promise<void>,
): Promise<void> {
  const pair = await createTestReplicatedPair();
  const db = createDb(
    {
      DATABASE_URL: multiHostUrl(pair.primary, pair.standby),
      DATABASE_POOL_MAX: 2,
      DATA_DIR: 'unused',
      DATABASE_CONNECT_TIMEOUT_MS: 500,
      DATABASE_PRIMARY_CHECK_MS: options.primaryCheckMs,
    },
    { log: pino({ level: 'silent' }) },
  );
  const table = 'frozen_notes'; // each pair is new, so the name is free
  try {
    await db.raw(`create table ${table} (id int)`);
    await db(table).insert({ id: 1 });
    await waitForRow(pair.standby, `select 1 from ${table} where id = 1`);
    const frozen = processTreeOf(pair.primary);
    frozen.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    try {
      await body({ db, standby: pair.standby, table });
    } finally {
      frozen.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
  } finally {
    await db.destroy();
  }
}

/** Runs `work` again while it fails as a failover does (a client following a 503's Retry-After). */
async function retryOnFailover<T>(work: () => PromiseLike<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isFailoverError(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The postmaster of a cluster and every process under it. */
function processTreeOf(cluster: TestPgCluster): number[] {
  const postmaster = Number(readFileSync(path.join(cluster.dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = (pid: number): number[] =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .flatMap((child) => [child, ...children(child)]);
  return [postmaster, ...children(postmaster)];
}

async function waitForRow(cluster: TestPgCluster, sql: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await cluster.query(sql).catch(() => [])).length === 0) {
    if (Date.now() > deadline) throw new Error(`no row for ${sql}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

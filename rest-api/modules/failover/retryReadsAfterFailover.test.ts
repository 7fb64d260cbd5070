import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { closeAllTestPgClusters, createTestReplicatedPair, type TestPgCluster } from '../../../test/pgCluster.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';

/**
 * The REST app on a multi-host DATABASE_URL (a standby first, then the primary). A request is cut off
 * the way a failover cuts it: its query waits behind a lock while its server session is terminated
 * (SQLSTATE 57P01, as at a primary's shutdown).
 */
describe('a request cut off by losing its database session', () => {
  let primary: TestPgCluster;
  let standby: TestPgCluster;
  let t: TestApp;
  let user: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    ({ primary, standby } = await createTestReplicatedPair());
    t = await startTestApp({
      env: {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres?target_session_attrs=read-write`,
      },
    });
    user = await registerUser(t);
    ({ id: conversationId } = await createConversation(t, user));
    await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content: 'hello' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await closeAllTestPgClusters();
  });

  /** Sends `request` while messages is locked, terminates the app's session waiting on the lock, then unlocks. */
  async function cutOff<T>(request: () => PromiseLike<T>): Promise<T> {
    const locker = new pg.Client({ host: '127.0.0.1', port: primary.port, user: 'postgres', database: 'postgres' });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table messages in access exclusive mode');
      const answer = Promise.resolve(request());
      const deadline = Date.now() + 10_000;
      for (;;) {
        // Inside a transaction pg_stat_activity is a snapshot taken at first use: take a fresh one each time.
        await locker.query('select pg_stat_clear_snapshot()');
        const { rows } = await locker.query<{ pid: number }>(
          "select pid from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()",
        );
        if (rows.length > 0) {
          await locker.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [rows.map((row) => row.pid)]);
          break;
        }
        if (Date.now() > deadline) throw new Error('the request never waited on the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await locker.query('commit');
      return await answer;
    } finally {
      await locker.end();
    }
  }

  it('a read runs again once the writable server is found: the client gets its answer', async () => {
    const res = await cutOff(() => t.request.get(`/api/conversations/${conversationId}/messages`).set(bearer(user)));
    expect(res.status).toBe(200);
    expect(res.body.data.map((message: { content: string }) => message.content)).toEqual(['hello']);
  });

  it('a write is not sent again: 503 database_failover with Retry-After, and nothing stored', async () => {
    const res = await cutOff(() =>
      t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content: 'cut off' }),
    );
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body.error.code).toBe('database_failover');
    const stored = await t.services.db('messages').where({ conversation_id: conversationId }).pluck('content');
    expect(stored).toEqual(['hello']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { createWorkspace, registerUser } from '../../../test/factories.ts';
import { createServiceAccount } from './createServiceAccount.ts';
import { LAST_USED_EVERY_MS, ServiceAccountKeys } from './ServiceAccountKeys.ts';

describe('ServiceAccountKeys', () => {
  let t: TestApp;
  let workspaceId: string;
  const nodes: ServiceAccountKeys[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const user = await registerUser(t);
    workspaceId = (await createWorkspace(t, user)).id;
  });
  afterAll(async () => {
    nodes.forEach((node) => node.close());
    await t?.close();
  });

  /** Another process's view of the keys: its own cache, the same database and bus. */
  const node = () => {
    const keys = new ServiceAccountKeys(t.services.db, t.services.bus, t.services.log);
    nodes.push(keys);
    return keys;
  };
  const issue = async () => {
    const operator = { type: 'user' as const, id: (await registerUser(t)).id };
    const { account, apiKey } = await createServiceAccount(t.services.db, {
      actor: operator,
      name: 'AI backend',
      workspaceIds: [workspaceId],
    });
    return { id: account.id, apiKey };
  };
  /** Counts the statements that touch service_accounts while `run` runs. */
  const statements = async (run: () => Promise<unknown>) => {
    const seen: string[] = [];
    const count = (query: { sql: string }) => query.sql.includes('service_accounts') && seen.push(query.sql);
    t.services.db.on('query', count);
    try {
      await run();
    } finally {
      t.services.db.off('query', count);
    }
    return seen;
  };
  const lastUsed = async (id: string) =>
    (await t.services.db('service_accounts').where({ id }).first('last_used_at')).last_used_at as Date | null;

  it('gives the principal the access model decides with: the account and its scope', async () => {
    const { id, apiKey } = await issue();
    expect(await node().verify(apiKey)).toEqual({ type: 'service', id, scope: { workspaceIds: [workspaceId], conversationIds: [] } });
  });

  it('refuses anything not shaped like a key without a query', async () => {
    const keys = node();
    const seen = await statements(async () => {
      for (const key of ['twk_', 'twk_abc', `twk_${'a'.repeat(44)}`, `twk_${'!'.repeat(43)}`]) {
        await expect(keys.verify(key)).rejects.toMatchObject({ status: 401, code: 'token_invalid' });
      }
    });
    expect(seen).toEqual([]);
  });

  it('writes last_used_at at most once a minute per node, and not at all while another node wrote it within the minute', async () => {
    const { id, apiKey } = await issue();
    const [a, b] = [node(), node()];
    const start = Date.now();
    await a.verify(apiKey, start);
    const first = await lastUsed(id);
    expect(first).toEqual(expect.any(Date));

    // Within the minute, this node does not even ask.
    expect(await statements(() => a.verify(apiKey, start + LAST_USED_EVERY_MS - 1))).toEqual([]);
    // Another node asks once, and the database keeps the other node's recent time.
    expect(await statements(() => b.verify(apiKey, start))).toHaveLength(2);
    expect(await lastUsed(id)).toEqual(first);

    // A minute on (the row as a minute ago), the next use writes again.
    await t.services
      .db('service_accounts')
      .where({ id })
      .update({ last_used_at: t.services.db.raw(`now() - interval '61 seconds'`) });
    const aged = await lastUsed(id);
    await a.verify(apiKey, start + LAST_USED_EVERY_MS);
    expect((await lastUsed(id))!.getTime()).toBeGreaterThan(aged!.getTime());
  });

  it('forgets a revoked account for good, even should a lookup that read the row before the revocation finish after it', async () => {
    const { id, apiKey } = await issue();
    const keys = node();
    await keys.verify(apiKey);
    // As if the revocation's event arrived while the row still read as live (a lookup already under way).
    keys.forget(id);
    await expect(keys.verify(apiKey)).rejects.toMatchObject({ status: 401, code: 'token_invalid' });
  });

  it('forgets the key when `service_account.revoked` arrives on the bus', async () => {
    const { id, apiKey } = await issue();
    const keys = node();
    await keys.verify(apiKey);
    await t.services.bus.publish('service_account.revoked', { serviceAccountId: id });
    const deadline = Date.now() + 2_000;
    for (;;) {
      const outcome = await keys.verify(apiKey).then(
        () => 'accepted',
        () => 'refused',
      );
      if (outcome === 'refused') break;
      if (Date.now() > deadline) throw new Error('the key was still accepted 2 s after the event');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});

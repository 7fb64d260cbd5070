import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAutoFailoverCluster, type AutoFailoverCluster, type AutoFailoverNode } from '../../../test/autoFailoverCluster.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { startOperatorApp, type OperatorApp } from '../../../test/operatorApp.ts';
import { startWriter } from '../../../ops/chaos/messageWriter.ts';
import type { DatabaseStatus, Switchover } from './failover.schemas.ts';

/** The route's answer: its data on success, its error otherwise. */
interface SwitchoverAnswer {
  data: Switchover;
  error: { code: string; message: string };
}

/**
 * POST /api/dr/switchover against a real pg_auto_failover formation (a monitor and two nodes), with the
 * REST app on the multi-host URL and the monitor's URL: the primary moves while a writer posts messages
 * through HTTP, and every acknowledged message is on the new primary afterwards.
 */
describe('POST /api/dr/switchover on a pg_auto_failover formation', () => {
  let cluster: AutoFailoverCluster;
  let app: OperatorApp;
  let baseUrl: string;
  let operator: TestUser;
  let someone: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    cluster = await createAutoFailoverCluster();
    app = await startOperatorApp({
      env: {
        DATABASE_URL: cluster.databaseUrl,
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_MONITOR_URL: `postgres://postgres@127.0.0.1:${cluster.monitorPort}/pg_auto_failover`,
      },
    });
    ({ baseUrl, user: operator, conversationId } = app);
    someone = await registerUser(app.testApp);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.close();
  }, 60_000);

  const switchover = (body: object, as: TestUser = operator) =>
    fetch(`${baseUrl}/api/dr/switchover`, {
      method: 'POST',
      headers: { ...bearer(as), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as SwitchoverAnswer }));

  it('is for operators only', async () => {
    expect((await switchover({}, someone)).status).toBe(403);
  });

  it('moves the primary to the standby under a writer: nothing acknowledged lost, no 500, on record in /api/dr/status', async () => {
    const { primary: before, standby } = await settledFormation(cluster);
    const writer = startWriter({ baseUrl, conversationId, headers: bearer(operator), label: 'switch1' });
    await writer.waitForAcknowledged(20, 30_000);

    const answer = await switchover({});
    await writer.waitForAcknowledged(writer.acknowledged.length + 20, 30_000);
    await writer.stop();

    expect(answer.status).toBe(200);
    const data = answer.body.data;
    process.stdout.write(
      `switchover ${before.name} → ${standby.name}: ${JSON.stringify(data)}; writer answers ${JSON.stringify(writer.statusCounts())}\n`,
    );
    expect(data).toMatchObject({
      oldPrimary: `127.0.0.1:${before.port}`,
      newPrimary: `127.0.0.1:${standby.port}`,
      oldNode: before.name,
      newNode: standby.name,
    });
    expect(data.durationMs).toBeGreaterThan(0);
    // A sanity bound only: the route's own deadline is 60 s.
    expect(data.durationMs).toBeLessThan(60_000);
    expect(await cluster.role(standby)).toBe('writable');

    const stored = new Set(
      (
        await cluster.query<{ content: string }>(
          standby,
          `select content from messages where conversation_id = '${conversationId}' and content like 'switch1-%'`,
        )
      ).map((row) => row.content),
    );
    expect(writer.acknowledged.filter((content) => !stored.has(content))).toEqual([]);
    expect(writer.unexpectedAnswers).toEqual([]);

    const status = await fetch(`${baseUrl}/api/dr/status`, { headers: bearer(operator) }).then(
      async (response) => ((await response.json()) as { data: DatabaseStatus }).data,
    );
    expect(status.primary.server).toBe(`127.0.0.1:${standby.port}`);
    expect(status.lastFailover).toMatchObject({
      oldPrimary: `127.0.0.1:${before.port}`,
      newPrimary: `127.0.0.1:${standby.port}`,
      reason: 'switchover',
      firstWriteAt: data.firstWriteAt,
    });
  }, 180_000);

  it('refuses a second switchover while one runs (409), then moves the primary back to the node named by host:port', async () => {
    const { primary: before, standby } = await settledFormation(cluster);
    const [first, second] = await Promise.all([
      switchover({ target: `127.0.0.1:${standby.port}` }),
      // Sent just after: the first one holds the process's switchover by then.
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => switchover({ target: standby.name })),
    ]);
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ oldNode: before.name, newNode: standby.name });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('switchover_in_progress');
    expect(await cluster.role(standby)).toBe('writable');
  }, 180_000);

  it('answers 404 for a node the formation does not have, and 409 when the target is the primary already', async () => {
    const { primary } = await settledFormation(cluster);
    const unknown = await switchover({ target: 'node9' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('switchover_target_unknown');
    const already = await switchover({ target: primary.name });
    expect(already.status).toBe(409);
    expect(already.body.error.code).toBe('switchover_refused');
    expect(await cluster.role(primary)).toBe('writable');
  }, 120_000);
});

/** Waits until the monitor has one primary and one secondary, both at their goal state. */
async function settledFormation(cluster: AutoFailoverCluster): Promise<{ primary: AutoFailoverNode; standby: AutoFailoverNode }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const states = await cluster.states().catch(() => []);
    const primary = states.find((state) => state.reportedState === 'primary' && state.goalState === 'primary');
    const standby = states.find((state) => state.reportedState === 'secondary' && state.goalState === 'secondary');
    if (primary && standby)
      return {
        primary: cluster.nodes.find((node) => node.name === primary.name)!,
        standby: cluster.nodes.find((node) => node.name === standby.name)!,
      };
    if (Date.now() > deadline) throw new Error(`formation not settled: ${JSON.stringify(states)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

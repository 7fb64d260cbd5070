import { createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { documentInDatabase, openProvider, startTestCollab, type TestCollab, type TestProvider } from '../../../test/collab.ts';
import { paragraphMarkers, startTypist, type CollabTypist } from '../../../test/collabTypist.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { spawnCollabNode, type CollabNodeProcess } from '../../../test/processes.ts';
import { pollUntil } from '../pollUntil.ts';
import { startDedicatedRedis, type DedicatedRedis } from '../redisServer.ts';
import type { DrillResult, Scenario } from '../scenario.ts';

/** Clients per node, all on one document. */
const CLIENTS_PER_NODE = 2;
/** Edits each client gets acknowledged in each phase: before the kill, during the outage, after the restart. */
const EDITS_PER_PHASE = 5;
/** How long Redis stays down at least: long enough for the clients' reconnect back-off to grow past its first steps. */
const MIN_OUTAGE_MS = 3_000;

interface Client {
  node: 'in-process' | 'spawned';
  connection: TestProvider;
  typist: CollabTypist;
}

/**
 * Two collab nodes (one in this process, one spawned) relay edits through a redis-server of the
 * scenario's own; clients on both edit one document, and Redis is SIGKILLed mid-edit. Each node must
 * keep acknowledging (and saving) its own clients' edits while Redis is gone; once Redis is back on the
 * same port, the edits typed on each side during the outage reach the other side's clients, and every
 * acknowledged edit is in PostgreSQL.
 */
export const redisKill: Scenario = {
  id: 'redis-kill',
  title: 'SIGKILL of Redis between two collab nodes mid-edit',
  async setup() {
    const redis = await startDedicatedRedis();
    let app: TestApp | undefined;
    let inProcess: TestCollab | undefined;
    let spawned: CollabNodeProcess | undefined;
    try {
      app = await startTestApp({ env: { REDIS_URL: redis.url } });
      inProcess = await startTestCollab(app);
      spawned = await spawnCollabNode(app);
      const rig = { app, redis, inProcess, spawned, owner: await registerUser(app) };
      return {
        drill: () => runDrill(rig),
        close: async () => {
          await spawned?.kill();
          await inProcess?.close();
          await app?.close();
          await redis.close();
        },
      };
    } catch (error) {
      await spawned?.kill();
      await inProcess?.close();
      await app?.close();
      await redis.close();
      throw error;
    }
  },
};

async function runDrill(rig: {
  app: TestApp;
  redis: DedicatedRedis;
  inProcess: TestCollab;
  spawned: CollabNodeProcess;
  owner: TestUser;
}): Promise<DrillResult> {
  const { app, redis, inProcess, spawned, owner } = rig;
  const violations: string[] = [];
  const { id } = await createConversation(app, owner);
  const clients: Client[] = [];
  try {
    for (let index = 0; index < 2 * CLIENTS_PER_NODE; index++) {
      const node = index % 2 === 0 ? 'in-process' : 'spawned';
      const connection = openProvider(node === 'in-process' ? inProcess.url : spawned.url, `conversation:${id}`, owner.accessToken);
      await connection.synced;
      clients.push({ node, connection, typist: startTypist(connection.provider, connection.doc, `client${index}`, { pauseMs: 20 }) });
    }
    const ackedAfter = (client: Client, since: number) => client.typist.acknowledged.filter(({ at }) => at > since).length;
    const holdsEveryAcknowledgedBy = (reader: Client, writers: Client[], until: number) => {
      const held = paragraphMarkers(reader.connection.doc);
      return writers.every(({ typist }) => typist.acknowledged.every(({ marker, at }) => at > until || held.has(marker)));
    };
    const otherSide = (client: Client) => clients.filter(({ node }) => node !== client.node);
    await pollUntil(
      () => (clients.every((client) => ackedAfter(client, 0) >= EDITS_PER_PHASE) ? true : undefined),
      30_000,
      `${EDITS_PER_PHASE} acknowledged edits per client before the kill`,
    );

    const killedAt = Date.now();
    await redis.kill();
    // Each node goes on acknowledging its own clients' edits, with no Redis to relay them.
    try {
      await pollUntil(
        () =>
          Date.now() - killedAt >= MIN_OUTAGE_MS && clients.every((client) => ackedAfter(client, killedAt) >= EDITS_PER_PHASE)
            ? true
            : undefined,
        30_000 + MIN_OUTAGE_MS,
        `${EDITS_PER_PHASE} acknowledged edits per client while Redis is down`,
      );
    } catch (error) {
      violations.push(`a node stopped acknowledging its clients' edits without Redis: ${(error as Error).message}`);
    }
    const firstWriteMs = Math.min(
      ...clients.flatMap(({ typist }) => typist.acknowledged.filter(({ at }) => at > killedAt).map(({ at }) => at - killedAt)),
    );
    const outageEdits = clients.reduce((total, client) => total + ackedAfter(client, killedAt), 0);
    // Saved as well as acknowledged: PostgreSQL has every edit acknowledged so far, Redis or not.
    const duringOutage = paragraphMarkers(await documentInDatabase(app.services.db, id));
    const lostDuringOutage = clients.flatMap(({ typist }) => typist.acknowledged.filter(({ marker }) => !duringOutage.has(marker)));
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null)
      violations.push('the spawned collab node exited when Redis died');

    const restartedAt = Date.now();
    await redis.restart();
    let crossNodeResumedMs: number | string = 'never';
    try {
      crossNodeResumedMs =
        (await pollUntil(
          () => (clients.every((client) => holdsEveryAcknowledgedBy(client, otherSide(client), restartedAt)) ? Date.now() : undefined),
          60_000,
          'every client to hold the other node’s edits typed before the restart',
        )) - restartedAt;
    } catch (error) {
      violations.push(`edits typed on one node did not reach the other after Redis came back: ${(error as Error).message}`);
    }
    await pollUntil(
      () => (clients.every((client) => ackedAfter(client, restartedAt) >= EDITS_PER_PHASE) ? true : undefined),
      30_000,
      `${EDITS_PER_PHASE} acknowledged edits per client after the restart`,
    );
    await Promise.all(clients.map(({ typist }) => typist.stop()));

    const inDatabase = paragraphMarkers(await documentInDatabase(app.services.db, id));
    const acknowledged = clients.flatMap(({ typist }) => typist.acknowledged);
    const lost = new Set(
      [...lostDuringOutage, ...acknowledged.filter(({ marker }) => !inDatabase.has(marker))].map(({ marker }) => marker),
    );
    return {
      firstWriteMs,
      acknowledged: acknowledged.length,
      lostAcknowledged: lost.size,
      // One PostgreSQL server takes every write here: Redis holds no primary role.
      maxPrimaries: 1,
      operations: { attempted: clients.reduce((total, { typist }) => total + typist.written.length, 0), succeeded: acknowledged.length },
      violations,
      notes: {
        clients: clients.length,
        editsAcknowledgedWithoutRedis: outageEdits,
        crossNodeResumedMs,
        redisDownMs: restartedAt - killedAt,
      },
    };
  } finally {
    for (const { connection, typist } of clients) {
      void typist.stop().catch(() => {});
      connection.destroy();
    }
  }
}

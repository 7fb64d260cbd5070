import { addWorkspaceMember, createWorkspace, createWorkspaceConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { documentInDatabase, openProvider, startTestCollab, type TestCollab, type TestProvider } from '../../../test/collab.ts';
import { paragraphMarkers, startTypist, type CollabTypist } from '../../../test/collabTypist.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { spawnCollabNode, type CollabNodeProcess } from '../../../test/processes.ts';
import { pollUntil } from '../pollUntil.ts';
import type { DrillResult, Scenario } from '../scenario.ts';

/** Clients per node, all on one document. */
const CLIENTS_PER_NODE = 3;
/** Edits each client has acknowledged before the kill, and each client of the dead node after it. */
const EDITS_AROUND_THE_KILL = 5;

interface Client {
  isOnDoomedNode: boolean;
  connection: TestProvider;
  typist: CollabTypist;
}

/**
 * Two collab nodes sharing PostgreSQL and Redis (one in this process, one spawned as its own process);
 * clients on both edit one document; the spawned node is SIGKILLed mid-edit. Its clients reconnect to the
 * other node (once the drill has checked PostgreSQL, so nothing they send again can hide a loss) and go on
 * typing; every edit either node acknowledged must be in PostgreSQL. The node is respawned for the next drill.
 */
export const collabNodeKill: Scenario = {
  id: 'collab-node-kill',
  title: 'SIGKILL of a collab node mid-edit (two nodes, Redis between them)',
  async setup() {
    const app = await startTestApp();
    let survivor: TestCollab | undefined;
    try {
      survivor = await startTestCollab(app);
      const owner = await registerUser(app);
      const workspace = await createWorkspace(app, owner);
      const team = [owner, await registerUser(app), await registerUser(app)];
      for (const member of team.slice(1)) await addWorkspaceMember(app, workspace.id, member, 'member');
      const rig = { app, survivor, team, workspaceId: workspace.id, nodes: [] as CollabNodeProcess[] };
      return {
        drill: () => runDrill(rig),
        close: async () => {
          await Promise.all(rig.nodes.map((node) => node.kill()));
          await rig.survivor.close();
          await app.close();
        },
      };
    } catch (error) {
      await survivor?.close();
      await app.close();
      throw error;
    }
  },
};

async function runDrill(rig: {
  app: TestApp;
  survivor: TestCollab;
  team: TestUser[];
  workspaceId: string;
  nodes: CollabNodeProcess[];
}): Promise<DrillResult> {
  const { app, survivor, team } = rig;
  const node = await spawnCollabNode(app);
  rig.nodes.push(node);
  const { id } = await createWorkspaceConversation(app, team[0]!, rig.workspaceId);
  const name = `conversation:${id}`;
  let isFailedOver = false;
  const clients: Client[] = [];
  try {
    for (let index = 0; index < 2 * CLIENTS_PER_NODE; index++) {
      const isOnDoomedNode = index % 2 === 0;
      const url = isOnDoomedNode ? () => (isFailedOver ? survivor.url : node.url) : survivor.url;
      const connection = openProvider(url, name, team[index % team.length]!.accessToken);
      await connection.synced;
      clients.push({
        isOnDoomedNode,
        connection,
        typist: startTypist(connection.provider, connection.doc, `client${index}`, { pauseMs: 20 }),
      });
    }
    const doomed = clients.filter((client) => client.isOnDoomedNode);
    const closesBefore = doomed.map((client) => client.connection.closes.length);
    await pollUntil(
      () => (clients.every(({ typist }) => typist.acknowledged.length >= EDITS_AROUND_THE_KILL) ? true : undefined),
      30_000,
      `${EDITS_AROUND_THE_KILL} acknowledged edits per client`,
    );

    const killedAt = Date.now();
    node.child.kill('SIGKILL');
    await node.exited;
    const detectedAt = await pollUntil(
      () => (doomed.some((client, index) => client.connection.closes.length > closesBefore[index]!) ? Date.now() : undefined),
      30_000,
      'a client of the killed node to see its connection close',
    );
    // What the dead node acknowledged must be in PostgreSQL now, before its clients can send anything again.
    const inDatabaseAtKill = paragraphMarkers(await documentInDatabase(app.services.db, id));
    const lostByDeadNode = doomed.flatMap(({ typist }) =>
      typist.acknowledged.filter(({ at, marker }) => at < killedAt && !inDatabaseAtKill.has(marker)),
    );
    isFailedOver = true;

    const ackedAfterKill = (client: Client) => client.typist.acknowledged.filter(({ at }) => at > killedAt).length;
    await pollUntil(
      () => (doomed.every((client) => ackedAfterKill(client) >= EDITS_AROUND_THE_KILL) ? true : undefined),
      60_000,
      `${EDITS_AROUND_THE_KILL} acknowledged edits per client of the killed node after the kill`,
    );
    await Promise.all(clients.map(({ typist }) => typist.stop()));

    const firstWriteMs = Math.min(
      ...doomed.flatMap(({ typist }) => typist.acknowledged.filter(({ at }) => at > killedAt).map(({ at }) => at - killedAt)),
    );
    const inDatabase = paragraphMarkers(await documentInDatabase(app.services.db, id));
    const acknowledged = clients.flatMap(({ typist }) => typist.acknowledged);
    const lost = acknowledged.filter(({ marker }) => !inDatabase.has(marker));
    const written = clients.reduce((total, { typist }) => total + typist.written.length, 0);
    return {
      detectionMs: detectedAt - killedAt,
      firstWriteMs,
      acknowledged: acknowledged.length,
      lostAcknowledged: new Set([...lost, ...lostByDeadNode].map(({ marker }) => marker)).size,
      // One PostgreSQL server takes every write here: a collab node holds no primary role.
      maxPrimaries: 1,
      operations: { attempted: written, succeeded: acknowledged.length },
      violations: [],
      notes: {
        clients: clients.length,
        acknowledgedByDeadNodeBeforeKill: doomed.reduce(
          (total, { typist }) => total + typist.acknowledged.filter(({ at }) => at < killedAt).length,
          0,
        ),
        lostAtKill: lostByDeadNode.length,
        reconnects: doomed.reduce((total, { connection }) => total + connection.outcomes.length - 1, 0),
      },
    };
  } finally {
    for (const { connection, typist } of clients) {
      void typist.stop().catch(() => {});
      connection.destroy();
    }
    await node.kill();
  }
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../test/http.ts';
import {
  addWorkspaceMember,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../test/factories.ts';
import {
  acknowledged,
  documentInDatabase,
  openProvider,
  startTestCollab,
  waitFor,
  type TestCollab,
  type TestProvider,
} from '../test/collab.ts';
import { spawnCollabNode, type CollabNodeProcess } from '../test/processes.ts';
import { paragraphMarkers, startTypist } from '../test/collabTypist.ts';

describe('collab durability when a node dies', () => {
  let t: TestApp;
  let survivor: TestCollab;
  let owner: TestUser;
  const nodes: CollabNodeProcess[] = [];
  const providers: TestProvider[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    survivor = await startTestCollab(t);
    owner = await registerUser(t);
  }, 120_000);
  afterAll(async () => {
    providers.forEach((provider) => provider.destroy());
    await Promise.all(nodes.map((node) => node.kill()));
    await survivor?.close();
    await t?.close();
  });

  const open = (url: string | (() => string), name: string, user = owner) => {
    const provider = openProvider(url, name, user.accessToken);
    providers.push(provider);
    return provider;
  };

  it('keeps an edit acknowledged the instant before the node was killed with SIGKILL', async () => {
    const node = await spawnCollabNode(t);
    nodes.push(node);
    const { id } = await createConversation(t, owner);
    const writer = open(node.url, `conversation:${id}`);
    await writer.synced;
    writer.doc.getText('title').insert(0, 'Written just before the crash');
    await acknowledged(writer.provider);
    node.child.kill('SIGKILL');
    await node.exited;
    // The writer is gone too, so it cannot send the edit again: only what PostgreSQL holds can bring it back.
    writer.destroy();

    const reader = survivor.connect(`conversation:${id}`, owner.accessToken);
    await reader.synced;
    expect(reader.doc.getText('title').toString()).toBe('Written just before the crash');
    reader.destroy();
  }, 120_000);

  it('does not tell a client that fails over that an edit is saved which only the dead node held', async () => {
    const node = await spawnCollabNode(t);
    nodes.push(node);
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    let failover = false;
    const writer = open(() => (failover ? survivor.url : node.url), name);
    const watcher = survivor.connect(name, owner.accessToken);
    await Promise.all([writer.synced, watcher.synced]);
    // Nothing can be committed from here on: the dead node never logs the edit, the survivor cannot yet.
    const trx = await t.services.db.transaction();
    await trx.raw('lock table conversation_updates in access exclusive mode');
    try {
      writer.doc.getText('title').insert(0, 'Only in memory');
      // The survivor has it through Redis, so the writer's sync after failover carries nothing new.
      await waitFor('the edit to reach the survivor', () => watcher.doc.getText('title').toString() === 'Only in memory');
      node.child.kill('SIGKILL');
      await node.exited;
      failover = true;
      await waitFor('the writer to sync with the survivor', () => writer.outcomes.length >= 2 && writer.provider.isSynced, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(writer.provider.unsyncedChanges).toBeGreaterThan(0);
    } finally {
      await trx.rollback();
    }
    await acknowledged(writer.provider, 10_000);
    // Acknowledged now: so PostgreSQL has it, even if the writer and the survivor vanish together.
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Only in memory');
  }, 120_000);

  it('loses no acknowledged edit of 20 clients on two nodes when one is killed mid-stream', async () => {
    const CLIENTS = 20;
    const EDITS = 15;
    const node = await spawnCollabNode(t);
    nodes.push(node);
    // Four people of one workspace, five tabs each.
    const workspace = await createWorkspace(t, owner);
    const team = [owner, ...(await Promise.all([1, 2, 3].map(() => registerUser(t))))];
    for (const member of team.slice(1)) await addWorkspaceMember(t, workspace.id, member, 'member');
    const { id } = await createWorkspaceConversation(t, owner, workspace.id);
    const name = `conversation:${id}`;
    // Clients of the killed node reconnect to the survivor only once PostgreSQL has been checked, so
    // nothing they send again can hide an edit the dead node acknowledged and then lost.
    let failover = false;
    const clients = Array.from({ length: CLIENTS }, (_, index) => {
      const home = index % 2 === 0 ? 'doomed' : 'survivor';
      const url = home === 'survivor' ? survivor.url : () => (failover ? survivor.url : node.url);
      return { index, home, connection: open(url, name, team[index % team.length]) };
    });
    await Promise.all(clients.map(({ connection }) => connection.synced));

    const typists = clients.map(({ index, home, connection }) => ({
      home,
      typist: startTypist(connection.provider, connection.doc, `client ${index} edit`, { edits: EDITS, pauseMs: 0, ackTimeoutMs: 20_000 }),
    }));
    const acks = () => typists.flatMap(({ home, typist }) => typist.acknowledged.map((ack) => ({ ...ack, home })));

    await waitFor('a third of the edits to be acknowledged', () => acks().length >= (CLIENTS * EDITS) / 3, 20_000);
    const killedAt = Date.now();
    node.child.kill('SIGKILL');
    await node.exited;
    const acknowledgedByDeadNode = acks()
      .filter((ack) => ack.home === 'doomed' && ack.at < killedAt)
      .map((ack) => ack.marker);
    const inDatabase = paragraphMarkers(await documentInDatabase(t.services.db, id));
    const lost = acknowledgedByDeadNode.filter((marker) => !inDatabase.has(marker));
    expect(acknowledgedByDeadNode.length).toBeGreaterThan(0);
    expect({ acknowledgedByDeadNode: acknowledgedByDeadNode.length, lost }).toEqual({
      acknowledgedByDeadNode: acknowledgedByDeadNode.length,
      lost: [],
    });

    failover = true;
    await Promise.all(typists.map(({ typist }) => typist.done));
    const every = clients.flatMap(({ index }) => Array.from({ length: EDITS }, (_, edit) => `client ${index} edit-${edit + 1}`));
    await waitFor(
      'every client to hold every edit',
      () => clients.every(({ connection }) => every.every((marker) => paragraphMarkers(connection.doc).has(marker))),
      15_000,
    );
    const finalInDatabase = paragraphMarkers(await documentInDatabase(t.services.db, id));
    expect(every.filter((marker) => !finalInDatabase.has(marker))).toEqual([]);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { startTestApp, type TestApp } from '../test/http.ts';
import {
  addWorkspaceMember,
  bearer,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../test/factories.ts';
import { acknowledged, startTestCollab, waitFor, type TestCollab } from '../test/collab.ts';

describe('two collab nodes behind one Redis', () => {
  let t: TestApp;
  let nodeA: TestCollab;
  let nodeB: TestCollab;
  let owner: TestUser;
  let viewer: TestUser;
  let workspaceId: string;

  beforeAll(async () => {
    t = await startTestApp();
    // Two servers on one database and one Redis: each has its own Redis extension, as two processes would.
    [nodeA, nodeB] = await Promise.all([startTestCollab(t), startTestCollab(t)]);
    [owner, viewer] = await Promise.all([registerUser(t), registerUser(t)]);
    workspaceId = (await createWorkspace(t, owner)).id;
    await addWorkspaceMember(t, workspaceId, viewer, 'viewer');
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await t?.close();
  });

  const newDocument = async () => `conversation:${(await createWorkspaceConversation(t, owner, workspaceId)).id}`;

  it('carries an edit made on node A to a provider on node B', async () => {
    const name = await newDocument();
    const onA = nodeA.connect(name, owner.accessToken);
    const onB = nodeB.connect(name, owner.accessToken);
    await Promise.all([onA.synced, onB.synced]);
    onA.doc.getText('title').insert(0, 'Across nodes');
    await waitFor('the edit to reach node B’s provider', () => onB.doc.getText('title').toString() === 'Across nodes');
    onB.doc.getText('title').insert(onB.doc.getText('title').length, ', both ways');
    await waitFor('the reply to reach node A’s provider', () => onA.doc.getText('title').toString() === 'Across nodes, both ways');
  });

  it('gives a provider joining on node B the edits node A has not stored yet', async () => {
    const name = await newDocument();
    const onA = nodeA.connect(name, owner.accessToken);
    await onA.synced;
    onA.doc.getText('title').insert(0, 'Fresh on A');
    await acknowledged(onA.provider);
    const onB = nodeB.connect(name, owner.accessToken);
    await onB.synced;
    expect(onB.doc.getText('title').toString()).toBe('Fresh on A');
  });

  it('shows a read-only viewer’s presence to people on both nodes', async () => {
    const name = await newDocument();
    const writerOnA = nodeA.connect(name, owner.accessToken);
    const writerOnB = nodeB.connect(name, owner.accessToken);
    const reader = nodeA.connect(name, viewer.accessToken);
    await expect(reader.outcome).resolves.toEqual({ status: 'authenticated', scope: 'readonly' });
    await Promise.all([writerOnA.synced, writerOnB.synced, reader.synced]);

    const cursor = { name: 'Viewer', color: '#36c', typing: false };
    reader.provider.setAwarenessField('user', cursor);
    const seesViewer = (provider: typeof writerOnA) =>
      [...provider.provider.awareness!.getStates().values()].some((state) => state.user?.name === 'Viewer');
    await waitFor('the viewer’s presence on node A', () => seesViewer(writerOnA));
    await waitFor('the viewer’s presence on node B', () => seesViewer(writerOnB));
  });

  it('shows a message posted through the REST API once in every client, on both nodes', async () => {
    const name = await newDocument();
    const clients = [
      nodeA.connect(name, owner.accessToken),
      nodeB.connect(name, owner.accessToken),
      nodeB.connect(name, viewer.accessToken),
    ];
    await Promise.all(clients.map((client) => client.synced));
    const contents = ['first', 'second', 'third'];
    for (const content of contents) {
      const res = await t.request
        .post(`/api/conversations/${name.slice('conversation:'.length)}/messages`)
        .set(bearer(owner))
        .send({ role: 'user', content });
      expect(res.status).toBe(201);
    }
    // Both nodes apply each event; the duplicate entries they create are removed once their updates meet.
    const settled = () =>
      clients.every(({ doc }) => JSON.stringify(listDocumentMessages(doc).map((m) => m.content)) === JSON.stringify(contents));
    await waitFor('every client to hold each message exactly once', settled);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled()).toBe(true);
    const serverCopies = [nodeA, nodeB].map((node) =>
      listDocumentMessages(node.server.hocuspocus.documents.get(name)!).map((m) => m.content),
    );
    expect(serverCopies).toEqual([contents, contents]);
  });

  it('keeps each node’s collab keys under the deployment’s Redis prefix', async () => {
    const name = await newDocument();
    const client = nodeA.connect(name, owner.accessToken);
    await client.synced;
    const channels = await t.services.redis!.pubsub('CHANNELS', `${t.config.REDIS_PREFIX}collab*`);
    expect(channels).toContain(`${t.config.REDIS_PREFIX}collab:${name}`);
  });
});

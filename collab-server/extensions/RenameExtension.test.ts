import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

/**
 * The document's title and `conversations.title` agree: a rename through the API reaches the open
 * documents on every node as one edit, and is in the document's log for later loads; an edit of the
 * document's title reaches the table with the commit that acknowledges it.
 */
describe('a conversation’s title, in its document and in the table', () => {
  let t: TestApp;
  let nodeA: TestCollab;
  let nodeB: TestCollab;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    [nodeA, nodeB] = await Promise.all([startTestCollab(t), startTestCollab(t)]);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await t?.close();
  });

  const rename = async (id: string, title: string) => {
    const res = await t.request.patch(`/api/conversations/${id}`).set(bearer(owner)).send({ title });
    expect(res.status).toBe(200);
  };
  const tableTitle = async (id: string) => (await t.request.get(`/api/conversations/${id}`).set(bearer(owner))).body.data.title as string;

  it('shows an API rename in every open client on every node, once, within a second', async () => {
    const { id } = await createConversation(t, owner, 'Draft plan');
    const name = `conversation:${id}`;
    const clients = [nodeA.connect(name, owner.accessToken), nodeB.connect(name, owner.accessToken)];
    await Promise.all(clients.map((client) => client.synced));

    const started = Date.now();
    await rename(id, 'Launch plan');
    await waitFor(
      'the new title in both clients',
      () => clients.every(({ doc }) => doc.getText('title').toString() === 'Launch plan'),
      1_000,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    // Both nodes applied the event: still one title, not two.
    await rename(id, 'Launch plan v2');
    await waitFor('the second rename', () => clients.every(({ doc }) => doc.getText('title').toString() === 'Launch plan v2'));
    await acknowledged(clients[0]!.provider);
    expect(clients.map(({ doc }) => doc.getText('title').toString())).toEqual(['Launch plan v2', 'Launch plan v2']);
  });

  it('finds a rename made while nobody had the document open when it loads: the document wins, and holds it', async () => {
    const { id } = await createConversation(t, owner, 'Before');
    const name = `conversation:${id}`;
    const first = nodeA.connect(name, owner.accessToken);
    await first.synced;
    first.doc.getText('title').insert(0, 'Typed title');
    await acknowledged(first.provider);
    first.destroy();
    await waitFor('the document to unload', () => !nodeA.server.hocuspocus.documents.has(name), 5_000);

    await rename(id, 'Renamed while closed');
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Renamed while closed');
    const reader = nodeB.connect(name, owner.accessToken);
    await reader.synced;
    expect(reader.doc.getText('title').toString()).toBe('Renamed while closed');
  });

  it('writes a title typed in the document to the table with the commit that acknowledges it', async () => {
    const { id } = await createConversation(t, owner, 'Untitled');
    const client = nodeA.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    client.doc.getText('title').insert(0, 'Roadmap\nQ3');
    await acknowledged(client.provider);
    // Acknowledged means committed, with the title: no wait for a store.
    expect(await tableTitle(id)).toBe('Roadmap Q3');
  });

  it('keeps the table’s title when the document’s is emptied', async () => {
    const { id } = await createConversation(t, owner, 'Keep me');
    const client = nodeA.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    const title = client.doc.getText('title');
    title.insert(0, 'Short-lived');
    await acknowledged(client.provider);
    expect(await tableTitle(id)).toBe('Short-lived');
    title.delete(0, title.length);
    await acknowledged(client.provider);
    expect(await tableTitle(id)).toBe('Short-lived');
  });

  it('shows a title typed in the document on the conversation’s share link at once', async () => {
    const { id } = await createConversation(t, owner, 'Shared before');
    const share = await t.request.post('/api/share').set(bearer(owner)).send({ conversationId: id, permission: 'read' });
    const view = () => t.request.post(`/api/share/${share.body.data.id}/view`);
    expect((await view()).body.data.conversation.title).toBe('Shared before');

    const client = nodeB.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    client.doc.getText('title').insert(0, 'Shared after');
    await acknowledged(client.provider);
    await expect(waitForAsync(async () => (await view()).body.data.conversation.title === 'Shared after')).resolves.toBe(true);
  });
});

/** Resolves true once `check` does, polling every 20 ms; false after 3 s. */
async function waitForAsync(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

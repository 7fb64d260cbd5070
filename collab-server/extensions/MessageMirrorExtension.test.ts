import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

describe('collab messages mirror the messages table', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    collab = await startTestCollab(t);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  const post = async (conversationId: string, content: string, role = 'user') => {
    const res = await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(owner)).send({ role, content });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; role: string; authorId: string | null; content: string; createdAt: string };
  };

  it('shows a message posted through the REST API in every open client within a second, with its fields', async () => {
    const { id } = await createConversation(t, owner);
    const [first, second] = [collab.connect(`conversation:${id}`, owner.accessToken), collab.connect(`conversation:${id}`, owner.accessToken)];
    await Promise.all([first.synced, second.synced]);

    const started = Date.now();
    const message = await post(id, 'What should we ship on Friday?');
    await waitFor('the message to reach both clients', () => [first, second].every(({ doc }) => listDocumentMessages(doc).length === 1), 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const { doc } of [first, second]) {
      expect(listDocumentMessages(doc)).toEqual([
        { id: message.id, role: 'user', author: owner.id, content: 'What should we ship on Friday?', createdAt: message.createdAt, editedAt: null },
      ]);
    }
  });

  it('carries edits and deletions made through the REST API to open clients', async () => {
    const { id } = await createConversation(t, owner);
    const client = collab.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    const kept = await post(id, 'first draft');
    const removed = await post(id, 'a message to delete', 'assistant');
    await waitFor('both messages', () => listDocumentMessages(client.doc).length === 2);

    expect((await t.request.patch(`/api/conversations/${id}/messages/${kept.id}`).set(bearer(owner)).send({ content: 'final wording' })).status).toBe(200);
    expect((await t.request.delete(`/api/conversations/${id}/messages/${removed.id}`).set(bearer(owner))).status).toBe(204);
    await waitFor('the edit and the deletion', () => {
      const messages = listDocumentMessages(client.doc);
      return messages.length === 1 && messages[0]!.content === 'final wording';
    });
    expect(listDocumentMessages(client.doc).map((message) => message.id)).toEqual([kept.id]);
  });

  it('opens a document with the messages posted while nobody had it open, oldest first', async () => {
    const { id } = await createConversation(t, owner);
    const posted = [await post(id, 'one'), await post(id, 'two', 'assistant'), await post(id, 'three')];
    const client = collab.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    expect(listDocumentMessages(client.doc).map((message) => message.content)).toEqual(['one', 'two', 'three']);
    expect(listDocumentMessages(client.doc).map((message) => message.id)).toEqual(posted.map((message) => message.id));
  });

  it('brings a stored document back in line with the table when it opens again', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const stale = await post(id, 'deleted while nobody was looking');
    const client = collab.connect(name, owner.accessToken);
    await client.synced;
    client.doc.getText('title').insert(0, 'Kept');
    await acknowledged(client.provider);
    client.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));

    // Straight to the table: no event reaches the collab server, as when a node was down at the time.
    await t.services.db('messages').where({ id: stale.id }).delete();
    const fresh = await post(id, 'posted later');
    const reopened = collab.connect(name, owner.accessToken);
    await reopened.synced;
    expect(listDocumentMessages(reopened.doc).map((message) => message.id)).toEqual([fresh.id]);
    expect(reopened.doc.getText('title').toString()).toBe('Kept');
  });

  it('applies a message event twice without duplicating the message', async () => {
    const { id } = await createConversation(t, owner);
    const client = collab.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    const message = await post(id, 'only once');
    const event = { conversationId: id, message: { id: message.id, role: 'user' as const, authorId: owner.id, content: 'only once', createdAt: message.createdAt, editedAt: null } };
    await t.services.bus.publish('message.created', event);
    await t.services.bus.publish('message.updated', event);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(listDocumentMessages(client.doc)).toHaveLength(1);
  });

  it('puts the table’s messages back when a client changes them', async () => {
    const { id } = await createConversation(t, owner);
    const [tamperer, bystander] = [collab.connect(`conversation:${id}`, owner.accessToken), collab.connect(`conversation:${id}`, owner.accessToken)];
    await Promise.all([tamperer.synced, bystander.synced]);
    const [first, second] = [await post(id, 'first'), await post(id, 'second')];
    await waitFor('both messages', () => listDocumentMessages(bystander.doc).length === 2);

    const messages = tamperer.doc.getArray<Y.Map<unknown>>('messages');
    tamperer.doc.transact(() => {
      messages.get(0).set('content', 'rewritten by a client');
      messages.delete(1, 1);
      const forged = new Y.Map<unknown>();
      forged.set('id', crypto.randomUUID());
      forged.set('content', 'never posted');
      messages.push([forged]);
    });
    const asInTable = (doc: Y.Doc) =>
      JSON.stringify(listDocumentMessages(doc).map((m) => [m.id, m.content])) === JSON.stringify([[first.id, 'first'], [second.id, 'second']]);
    await waitFor('every client to show the table’s messages again', () => asInTable(tamperer.doc) && asInTable(bystander.doc));
  });
});

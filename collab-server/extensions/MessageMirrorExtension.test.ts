import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { messagesOf } from '@shared/documents/conversationDocument.ts';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { SAMPLES, uploaded } from '../../rest-api/modules/attachments/attachments.fixtures.ts';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

describe('collab messages mirror the messages table', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;
  let storageDir: string;

  beforeAll(async () => {
    storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-mirror-'));
    t = await startTestApp({ env: { STORAGE_DIR: storageDir } });
    collab = await startTestCollab(t);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
    await fs.rm(storageDir, { recursive: true, force: true });
  });

  const post = async (conversationId: string, content: string, role = 'user', attachmentIds?: string[]) => {
    const res = await t.request
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(owner))
      .send({ role, content, attachmentIds });
    expect(res.status).toBe(201);
    return res.body.data as {
      id: string;
      role: string;
      authorId: string | null;
      content: string;
      createdAt: string;
      editedAt: string | null;
    };
  };

  /** Uploads a picture and a text file, in that order; returns them as the document should hold them. */
  const uploadTwo = async (conversationId: string) => {
    const files = [
      await uploaded(t, owner, conversationId, SAMPLES.png, 'diagram.png'),
      await uploaded(t, owner, conversationId, SAMPLES.text, 'notes.txt'),
    ];
    return files.map(({ id, name, contentType, size }) => ({ id, name, contentType, size }));
  };

  it('shows a message posted through the REST API in every open client within a second, with its fields', async () => {
    const { id } = await createConversation(t, owner);
    const [first, second] = [
      collab.connect(`conversation:${id}`, owner.accessToken),
      collab.connect(`conversation:${id}`, owner.accessToken),
    ];
    await Promise.all([first.synced, second.synced]);

    const started = Date.now();
    const message = await post(id, 'What should we ship on Friday?');
    await waitFor(
      'the message to reach both clients',
      () => [first, second].every(({ doc }) => listDocumentMessages(doc).length === 1),
      1_000,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const { doc } of [first, second]) {
      expect(listDocumentMessages(doc)).toEqual([
        {
          id: message.id,
          role: 'user',
          author: owner.id,
          serviceAccount: null,
          content: 'What should we ship on Friday?',
          createdAt: message.createdAt,
          editedAt: null,
          attachments: [],
          execution: null,
        },
      ]);
    }
  });

  it('carries edits and deletions made through the REST API to open clients', async () => {
    const { id } = await createConversation(t, owner);
    const client = collab.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    const kept = await post(id, 'first draft');
    const removed = await post(id, 'a message to delete');
    await waitFor('both messages', () => listDocumentMessages(client.doc).length === 2);

    expect(
      (await t.request.patch(`/api/conversations/${id}/messages/${kept.id}`).set(bearer(owner)).send({ content: 'final wording' })).status,
    ).toBe(200);
    expect((await t.request.delete(`/api/conversations/${id}/messages/${removed.id}`).set(bearer(owner))).status).toBe(204);
    await waitFor('the edit and the deletion', () => {
      const messages = listDocumentMessages(client.doc);
      return messages.length === 1 && messages[0]!.content === 'final wording';
    });
    expect(listDocumentMessages(client.doc).map((message) => message.id)).toEqual([kept.id]);
  });

  it('opens a document with the messages posted while nobody had it open, oldest first', async () => {
    const { id } = await createConversation(t, owner);
    const posted = [await post(id, 'one'), await post(id, 'two'), await post(id, 'three')];
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
    const event = {
      conversationId: id,
      message: {
        id: message.id,
        role: 'user' as const,
        authorId: owner.id,
        serviceAccountId: null,
        content: 'only once',
        createdAt: message.createdAt,
        editedAt: null,
        attachments: [],
      },
    };
    await t.services.bus.publish('message.created', event);
    await t.services.bus.publish('message.updated', event);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(listDocumentMessages(client.doc)).toHaveLength(1);
  });

  it('puts the table’s messages back when a client changes them', async () => {
    const { id } = await createConversation(t, owner);
    const [tamperer, bystander] = [
      collab.connect(`conversation:${id}`, owner.accessToken),
      collab.connect(`conversation:${id}`, owner.accessToken),
    ];
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
      JSON.stringify(listDocumentMessages(doc).map((m) => [m.id, m.content])) ===
      JSON.stringify([
        [first.id, 'first'],
        [second.id, 'second'],
      ]);
    await waitFor('every client to show the table’s messages again', () => asInTable(tamperer.doc) && asInTable(bystander.doc));
  });

  it('brings a message’s attachments to open documents, in upload order, without hashes or times', async () => {
    const { id } = await createConversation(t, owner);
    const client = collab.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;
    const files = await uploadTwo(id);
    const plain = await post(id, 'no files here');
    // Named in the other order: the document keeps the order they were uploaded in.
    const withFiles = await post(id, 'see attached', 'user', [files[1]!.id, files[0]!.id]);

    await waitFor('both messages', () => listDocumentMessages(client.doc).length === 2);
    const [first, second] = listDocumentMessages(client.doc);
    expect(first).toMatchObject({ id: plain.id, attachments: [] });
    expect(second).toMatchObject({ id: withFiles.id, content: 'see attached', attachments: files });
    expect(files.map((file) => file.contentType)).toEqual(['image/png', 'text/plain']);
    // A message without files carries no `attachments` key at all: the document stays compact.
    expect(messagesOf(client.doc).get(0).has('attachments')).toBe(false);
  });

  it('keeps attachments when a document opens from the table and when it is stored and opened again', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const files = await uploadTwo(id);
    // Posted while nobody has the document open: only the load-time reconcile can bring the files in.
    const message = await post(
      id,
      'posted in the dark',
      'user',
      files.map((file) => file.id),
    );
    const client = collab.connect(name, owner.accessToken);
    await client.synced;
    expect(listDocumentMessages(client.doc)).toEqual([expect.objectContaining({ id: message.id, attachments: files })]);
    client.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));

    const reopened = collab.connect(name, owner.accessToken);
    await reopened.synced;
    expect(listDocumentMessages(reopened.doc)).toEqual([expect.objectContaining({ id: message.id, attachments: files })]);
  });

  it('does not rewrite an unchanged attachment list: a repeated event changes nothing, an edit only its text', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const client = collab.connect(name, owner.accessToken);
    await client.synced;
    const files = await uploadTwo(id);
    const message = await post(
      id,
      'with files',
      'user',
      files.map((file) => file.id),
    );
    await waitFor('the message', () => listDocumentMessages(client.doc).length === 1);

    const document = collab.server.hocuspocus.documents.get(name)!;
    let updates = 0;
    const changedKeys = new Set<string>();
    document.on('update', () => (updates += 1));
    messagesOf(document).observeDeep((events) => {
      for (const event of events) if (event instanceof Y.YMapEvent) event.keysChanged.forEach((key) => changedKeys.add(key));
    });

    // The same message again, twice, as another node or a retry would send it: equal lists, new objects.
    const event = {
      conversationId: id,
      message: {
        id: message.id,
        role: 'user' as const,
        authorId: owner.id,
        serviceAccountId: null,
        content: message.content,
        createdAt: message.createdAt,
        editedAt: null,
        attachments: files,
      },
    };
    await t.services.bus.publish('message.created', event);
    await t.services.bus.publish('message.updated', structuredClone(event));
    // Then an edit of its text. Events from one publisher arrive in order, so once the edit shows, the repeats were applied.
    expect(
      (await t.request.patch(`/api/conversations/${id}/messages/${message.id}`).set(bearer(owner)).send({ content: 'edited' })).status,
    ).toBe(200);
    await waitFor('the edit', () => listDocumentMessages(document)[0]?.content === 'edited');

    expect(updates).toBe(1);
    expect([...changedKeys].sort()).toEqual(['content', 'editedAt']);
    await waitFor('the edit to reach the client', () => listDocumentMessages(client.doc)[0]?.content === 'edited');
    expect(listDocumentMessages(client.doc)[0]!.attachments).toEqual(files);
  });
});

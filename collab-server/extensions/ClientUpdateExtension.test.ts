import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { messagesOf } from '@shared/documents/conversationDocument.ts';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { storeConversationState } from '@shared/documents/storeConversationState.ts';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { bearer, captureLogs, createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab, type TestProvider } from '../../test/collab.ts';

/** Every entry of `messages` as it is, junk included: ids of message maps, anything else as itself. */
const rawEntries = (doc: Y.Doc) =>
  (messagesOf(doc).toArray() as unknown[]).map((entry) => (entry instanceof Y.Map ? entry.get('id') : entry));

const TAMPERING: Array<[string, (messages: Y.Array<unknown>) => void]> = [
  ['scalars and a plain object', (messages) => messages.insert(0, ['just a string', 42, null, { id: 'obj' }])],
  ['nested arrays', (messages) => messages.push([Y.Array.from([Y.Array.from(['deep'])])])],
  ['a map without an id', (messages) => messages.push([new Y.Map<unknown>([['content', 'no id']])])],
  [
    'a huge entry',
    (messages) =>
      messages.push([
        new Y.Map<unknown>([
          ['id', crypto.randomUUID()],
          ['content', 'x'.repeat(400_000)],
        ]),
      ]),
  ],
  ['deleting every entry', (messages) => messages.delete(0, messages.length)],
];

describe('clients cannot write the server-owned messages', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;
  const logs = captureLogs();

  beforeAll(async () => {
    // One node without Redis: its extension holds a document a second after its last client leaves,
    // and every test here waits for an unload.
    t = await startTestApp({ log: logs.log, redis: false });
    collab = await startTestCollab(t);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  const post = async (conversationId: string, content: string) => {
    const res = await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(owner)).send({ role: 'user', content });
    expect(res.status).toBe(201);
    return res.body.data as { id: string };
  };
  const tableIds = async (conversationId: string) =>
    t.services.db('messages').where({ conversation_id: conversationId }).orderBy('seq').pluck('id');
  const editLinkToken = async (conversationId: string) => {
    const share = await t.request.post('/api/share').set(bearer(owner)).send({ conversationId, permission: 'edit' });
    expect(share.status).toBe(201);
    const view = await t.request.post(`/api/share/${share.body.data.id}/view`);
    expect(view.status).toBe(200);
    return view.body.data.token as string;
  };
  const unload = async (name: string, ...providers: TestProvider[]) => {
    for (const provider of providers) provider.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));
  };

  describe.each([
    ['an edit-link guest', 'guest'],
    ['the owner', 'owner'],
  ])('from %s', (_who, who) => {
    it.each(TAMPERING)('ignores %s; the conversation keeps working and reopens', async (_what, tamper) => {
      const { id } = await createConversation(t, owner);
      const name = `conversation:${id}`;
      await post(id, 'first');
      await post(id, 'second');
      const attacker = collab.connect(name, who === 'guest' ? await editLinkToken(id) : owner.accessToken);
      const bystander = collab.connect(name, owner.accessToken);
      await Promise.all([attacker.synced, bystander.synced]);
      expect(await attacker.outcome).toEqual({ status: 'authenticated', scope: 'read-write' });

      attacker.doc.transact(() => tamper(messagesOf(attacker.doc) as Y.Array<unknown>));
      await acknowledged(attacker.provider);
      const asTable = async () => JSON.stringify(await tableIds(id));
      let expected = await asTable();
      await waitFor('every replica to hold the table’s messages', () =>
        [attacker, bystander].every(({ doc }) => JSON.stringify(rawEntries(doc)) === expected),
      );

      // Messages posted afterwards still reach everyone live.
      const later = await post(id, 'posted after the tampering');
      expected = await asTable();
      await waitFor('the new message in both replicas', () =>
        [attacker, bystander].every(({ doc }) => JSON.stringify(rawEntries(doc)) === expected),
      );
      expect(listDocumentMessages(bystander.doc).at(-1)).toMatchObject({ id: later.id, content: 'posted after the tampering' });

      // What PostgreSQL holds has no foreign entry, and the owner opens it again once it has unloaded.
      await unload(name, attacker, bystander);
      expect(JSON.stringify(rawEntries(await documentInDatabase(t.services.db, id)))).toBe(expected);
      const reopened = collab.connect(name, owner.accessToken);
      await reopened.synced;
      expect(await reopened.outcome).toEqual({ status: 'authenticated', scope: 'read-write' });
      expect(JSON.stringify(rawEntries(reopened.doc))).toBe(expected);
      await unload(name, reopened);
    });
  });

  it('opens a document stored with junk in messages, repaired from the table, and logs it as an error', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const kept = await post(id, 'kept');
    const broken = new Y.Doc();
    broken.getText('title').insert(0, 'Old title');
    messagesOf(broken).insert(0, ['junk', 7, null] as never[]);
    messagesOf(broken).push([new Y.Map<unknown>([['content', 'no id']])]);
    await storeConversationState(t.services.db, id, Y.encodeStateAsUpdate(broken));

    const client = collab.connect(name, owner.accessToken);
    await client.synced;
    expect(await client.outcome).toEqual({ status: 'authenticated', scope: 'read-write' });
    expect(rawEntries(client.doc)).toEqual([kept.id]);
    expect(client.doc.getText('title').toString()).toBe('Old title');
    expect(logs.lines.some((line) => line.includes('"level":50') && line.includes(id) && line.includes('repaired from the table'))).toBe(
      true,
    );

    await unload(name, client);
    expect(rawEntries(await documentInDatabase(t.services.db, id))).toEqual([kept.id]);
  });

  it('counts the updates it had to trim in /metrics', async () => {
    const res = await fetch(`${collab.httpUrl}/metrics`);
    expect(await res.text()).toMatch(/^collab_client_updates_sanitized_total\{[^}]*\} [1-9]\d*$/m);
  });
});

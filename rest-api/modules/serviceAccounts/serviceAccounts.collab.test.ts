import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, recordEvents, registerUser, type TestUser } from '../../../test/factories.ts';
import { startTestCollab, waitFor, type TestCollab } from '../../../test/collab.ts';
import { createServiceAccount, keyHeader, registerOperator } from './serviceAccounts.fixtures.ts';

describe('a service account’s messages on the bus and in the live document', () => {
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

  it('carries who posted each message — a person or the service account — to open clients and to documents opened later', async () => {
    const { id } = await createConversation(t, owner);
    const bot = await createServiceAccount(t, await registerOperator(t), { conversationIds: [id] });
    const name = `conversation:${id}`;
    const client = collab.connect(name, owner.accessToken);
    await client.synced;
    const events = recordEvents(t.services.bus, 'message.created');

    const asked = await t.request
      .post(`/api/conversations/${id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'Summarise this, please' });
    const answered = await t.request
      .post(`/api/conversations/${id}/messages`)
      .set(keyHeader(bot))
      .send({ role: 'assistant', content: 'Here is the summary' });
    expect([asked.status, answered.status]).toEqual([201, 201]);

    const event = await events.waitFor((payload) => payload.message.id === answered.body.data.id);
    events.stop();
    expect(event.message).toMatchObject({ role: 'assistant', authorId: null, serviceAccountId: bot.id });
    expect(events.seen.find((payload) => payload.message.id === asked.body.data.id)?.message).toMatchObject({
      authorId: owner.id,
      serviceAccountId: null,
    });

    const expected = [
      expect.objectContaining({ id: asked.body.data.id, role: 'user', author: owner.id, serviceAccount: null }),
      expect.objectContaining({
        id: answered.body.data.id,
        role: 'assistant',
        author: null,
        serviceAccount: bot.id,
        content: 'Here is the summary',
      }),
    ];
    await waitFor('both messages in the open document', () => listDocumentMessages(client.doc).length === 2);
    expect(listDocumentMessages(client.doc)).toEqual(expected);

    // Opened again from storage and the table (shared/documents/listConversationMessages.ts), it says the same.
    client.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));
    const reopened = collab.connect(name, owner.accessToken);
    await reopened.synced;
    expect(listDocumentMessages(reopened.doc)).toEqual(expected);
  });

  it('opens no document with an API key: the collab server takes people’s tokens only', async () => {
    const { id } = await createConversation(t, owner);
    const bot = await createServiceAccount(t, await registerOperator(t), { conversationIds: [id] });
    const client = collab.connect(`conversation:${id}`, bot.apiKey);
    expect(await client.outcome).toEqual({ status: 'refused', reason: expect.any(String) });
  });
});

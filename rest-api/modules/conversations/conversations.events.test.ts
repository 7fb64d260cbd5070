import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, recordEvents, registerUser, type TestUser } from '../../../test/factories.ts';

describe.each([
  { backend: 'postgres', bus: 'Redis' },
  { backend: 'pglite', bus: 'in-process' },
] as const)('what conversation changes announce and record, on $backend with the $bus bus', ({ backend, bus }) => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    // The Redis case is the point of the postgres run: events must cross processes.
    expect(Boolean(t.config.REDIS_URL)).toBe(bus === 'Redis');
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  const postMessage = async (user: TestUser, conversationId: string, content: string) => {
    const res = await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; createdAt: string };
  };

  describe('events', () => {
    it('announces a deleted conversation only once it is gone from the database', async () => {
      const conversation = await createConversation(t, owner);
      const rowSeenByListener = new Promise<unknown>((resolve) => {
        const stop = t.services.bus.subscribe('conversation.deleted', async ({ conversationId }) => {
          if (conversationId !== conversation.id) return;
          stop();
          resolve((await t.services.db('conversations').where({ id: conversationId }).first()) ?? null);
        });
      });
      const events = recordEvents(t.services.bus, 'conversation.deleted');

      const res = await t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner));
      expect(res.status).toBe(204);

      const event = await events.waitFor((payload) => payload.conversationId === conversation.id);
      events.stop();
      expect(event).toEqual({ conversationId: conversation.id, workspaceId: null, actorId: owner.id });
      expect(await rowSeenByListener).toBeNull();
    });

    it('announces a posted message with its author and content', async () => {
      const conversation = await createConversation(t, owner);
      const events = recordEvents(t.services.bus, 'message.created');
      const message = await postMessage(owner, conversation.id, 'hello <b>world</b>');

      const event = await events.waitFor((payload) => payload.message.id === message.id);
      events.stop();
      expect(event).toEqual({
        conversationId: conversation.id,
        message: {
          id: message.id,
          role: 'user',
          authorId: owner.id,
          serviceAccountId: null,
          content: 'hello <b>world</b>',
          createdAt: message.createdAt,
          editedAt: null,
          attachments: [],
          execution: null,
        },
      });
    });

    it('announces an edited and a deleted message', async () => {
      const conversation = await createConversation(t, owner);
      const message = await postMessage(owner, conversation.id, 'draft');
      const updates = recordEvents(t.services.bus, 'message.updated');
      const deletions = recordEvents(t.services.bus, 'message.deleted');
      const path = `/api/conversations/${conversation.id}/messages/${message.id}`;

      expect((await t.request.patch(path).set(bearer(owner)).send({ content: 'final' })).status).toBe(200);
      expect((await t.request.delete(path).set(bearer(owner))).status).toBe(204);

      const updated = await updates.waitFor((payload) => payload.message.id === message.id);
      const deleted = await deletions.waitFor((payload) => payload.messageId === message.id);
      updates.stop();
      deletions.stop();
      expect(updated).toEqual({ conversationId: conversation.id, message: expect.objectContaining({ id: message.id, content: 'final' }) });
      expect(deleted).toEqual({ conversationId: conversation.id, messageId: message.id });
    });

    it('publishes nothing when a delete or a post fails', async () => {
      const outsider = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const sentinel = await createConversation(t, owner, 'deleted last, to flush the bus');
      const deletions = recordEvents(t.services.bus, 'conversation.deleted');
      const messages = recordEvents(t.services.bus, 'message.created');

      const refused = [
        await t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(outsider)),
        await t.request.delete(`/api/conversations/${crypto.randomUUID()}`).set(bearer(owner)),
        await t.request.post(`/api/conversations/${conversation.id}/messages`).set(bearer(outsider)).send({ role: 'user', content: 'x' }),
        await t.request.post(`/api/conversations/${conversation.id}/messages`).set(bearer(owner)).send({ role: 'robot', content: 'x' }),
      ];
      expect(refused.map((res) => res.status)).toEqual([404, 404, 404, 400]);

      // Events from one publisher arrive in order, so once the sentinel's arrives any earlier one would have too.
      expect((await t.request.delete(`/api/conversations/${sentinel.id}`).set(bearer(owner))).status).toBe(204);
      await deletions.waitFor((payload) => payload.conversationId === sentinel.id);
      deletions.stop();
      messages.stop();
      expect(deletions.seen.filter((payload) => payload.conversationId !== sentinel.id)).toEqual([]);
      expect(messages.seen).toEqual([]);
      expect((await t.request.get(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(200);
    });
  });

  describe('audit log', () => {
    const auditOf = (conversationId: string) =>
      t.services
        .db('audit_log')
        .where({ subject_type: 'conversation', subject_id: conversationId })
        .orderBy('id')
        .select('action', 'actor_id', 'data');

    it('records who created, renamed, posted to, edited and deleted a conversation; of content, only what an edit replaced', async () => {
      const create = await t.request.post('/api/conversations').set(bearer(owner)).send({ title: 'Audited' });
      const id: string = create.body.data.id;
      expect((await t.request.patch(`/api/conversations/${id}`).set(bearer(owner)).send({ title: 'Renamed' })).status).toBe(200);
      const message = await postMessage(owner, id, 'confidential message body');
      const messagePath = `/api/conversations/${id}/messages/${message.id}`;
      expect((await t.request.patch(messagePath).set(bearer(owner)).send({ content: 'confidential edit' })).status).toBe(200);
      expect((await t.request.delete(messagePath).set(bearer(owner))).status).toBe(204);
      expect((await t.request.delete(`/api/conversations/${id}`).set(bearer(owner))).status).toBe(204);

      const rows = await auditOf(id);
      expect(rows.map((row) => [row.action, row.actor_id])).toEqual([
        ['conversation.created', owner.id],
        ['conversation.updated', owner.id],
        ['message.created', owner.id],
        ['message.updated', owner.id],
        ['message.deleted', owner.id],
        ['conversation.deleted', owner.id],
      ]);
      expect(rows[2]!.data).toMatchObject({ messageId: message.id, role: 'user' });
      // An edit can be traced back: the text it replaced is kept. Nothing else of the content is.
      expect(rows[3]!.data).toEqual({ messageId: message.id, previousContent: 'confidential message body' });
      expect(JSON.stringify([...rows.slice(0, 3), ...rows.slice(4)])).not.toMatch(/confidential/);
      expect(JSON.stringify(rows)).not.toMatch(/confidential edit/);
    });

    it('records nothing for reads and refused attempts', async () => {
      const outsider = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const path = `/api/conversations/${conversation.id}`;
      await t.request.get(path).set(bearer(owner));
      await t.request.get(`${path}/messages`).set(bearer(owner));
      await t.request.patch(path).set(bearer(outsider)).send({ title: 'hijacked' });
      await t.request.delete(path).set(bearer(outsider));
      await t.request.post(`${path}/messages`).set(bearer(outsider)).send({ role: 'user', content: 'x' });
      await t.request.patch(path).set(bearer(owner)).send({ title: '' });

      const rows = await auditOf(conversation.id);
      expect(rows.map((row) => [row.action, row.actor_id])).toEqual([['conversation.created', owner.id]]);
      const byOutsider = await t.services.db('audit_log').where({ actor_id: outsider.id, subject_type: 'conversation' });
      expect(byOutsider).toEqual([]);
    });
  });
});

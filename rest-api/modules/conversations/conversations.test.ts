import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';

const ALL_POLICIES = {
  read: true,
  comment: true,
  update: true,
  postMessage: true,
  editMessage: true,
  deleteMessage: true,
  delete: true,
  share: true,
};

describe.each(['postgres', 'pglite'] as const)('conversations on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    owner = await registerUser(t);
    outsider = await registerUser(t);
  });
  afterAll(() => t?.close());

  const { get, post, patch, del } = requestsAs(() => t);
  const postMessage = async (user: TestUser, conversationId: string, content: string, role = 'user') => {
    const res = await post(user, `/api/conversations/${conversationId}/messages`, { role, content });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; content: string; role: string };
  };

  /** Follows `nextCursor` from the first page to the last; returns every page's items. */
  async function collectPages(user: TestUser, path: string, limit: number) {
    const pages: { id: string; [key: string]: unknown }[][] = [];
    let cursor: string | null = null;
    do {
      const res = await get(user, `${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.body.data);
      cursor = res.body.pagination.nextCursor;
    } while (cursor !== null && pages.length < 20);
    return pages;
  }

  describe('conversations', () => {
    it('creates a conversation owned by the caller, with every right in its policies', async () => {
      const res = await post(owner, '/api/conversations', { title: 'Quarterly planning' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        data: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          title: 'Quarterly planning',
          ownerId: owner.id,
          workspaceId: null,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          policies: ALL_POLICIES,
        },
      });
      const fetched = await get(owner, `/api/conversations/${res.body.data.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(res.body);
    });

    it.each([
      ['SQL', "'); drop table users;--"],
      ['HTML', '<script>alert(1)</script>'],
      ['quotes, backslashes and emoji', 'Ünïcødé "quoted" \\ back\\slash 🎉 %s ${x}'],
    ])('stores and returns a title containing %s verbatim', async (_kind, title) => {
      const created = await post(owner, '/api/conversations', { title });
      expect(created.status).toBe(201);
      expect(created.body.data.title).toBe(title);
      const fetched = await get(owner, `/api/conversations/${created.body.data.id}`);
      expect(fetched.body.data.title).toBe(title);
      const row = await t.services.db('conversations').where({ id: created.body.data.id }).first();
      expect(row.title).toBe(title);
      // The users table survived, and the owner can still sign in.
      const login = await t.request.post('/api/auth/login').send({ email: owner.email, password: owner.password });
      expect(login.status).toBe(200);
    });

    it('lists only the caller’s conversations, newest first, across pages without duplicates', async () => {
      const user = await registerUser(t);
      const titles = ['first', 'second', 'third', 'fourth', 'fifth'];
      for (const title of titles) await createConversation(t, user, title);
      await createConversation(t, outsider, 'not yours');

      const pages = await collectPages(user, '/api/conversations', 2);
      expect(pages.map((page) => page.map((item) => item.title))).toEqual([['fifth', 'fourth'], ['third', 'second'], ['first']]);
      const ids = pages.flat().map((item) => item.id);
      expect(new Set(ids).size).toBe(5);

      const all = await get(user, '/api/conversations');
      expect(all.status).toBe(200);
      expect(all.body.data.map((item: { title: string }) => item.title)).toEqual([...titles].reverse());
      expect(all.body.pagination).toEqual({ nextCursor: null });
    });

    it('gives a user with no conversations an empty list', async () => {
      const user = await registerUser(t);
      const res = await get(user, '/api/conversations');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [], pagination: { nextCursor: null } });
    });

    it('renames a conversation', async () => {
      const conversation = await createConversation(t, owner, 'Old name');
      const res = await patch(owner, `/api/conversations/${conversation.id}`, { title: 'New name' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: conversation.id, title: 'New name', policies: ALL_POLICIES });
      expect(Date.parse(res.body.data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.data.createdAt));
      const fetched = await get(owner, `/api/conversations/${conversation.id}`);
      expect(fetched.body.data.title).toBe('New name');
    });

    it('deletes a conversation and its messages', async () => {
      const conversation = await createConversation(t, owner);
      await postMessage(owner, conversation.id, 'one');
      await postMessage(owner, conversation.id, 'two');

      const res = await del(owner, `/api/conversations/${conversation.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expectError(await get(owner, `/api/conversations/${conversation.id}`), 404, 'not_found');
      expectError(await get(owner, `/api/conversations/${conversation.id}/messages`), 404, 'not_found');
      expectError(await del(owner, `/api/conversations/${conversation.id}`), 404, 'not_found');
      const list = await get(owner, '/api/conversations?limit=100');
      expect(list.body.data.map((item: { id: string }) => item.id)).not.toContain(conversation.id);
      const messages = await t.services.db('messages').where({ conversation_id: conversation.id });
      expect(messages).toEqual([]);
    });

    it('lets one of two concurrent deletes succeed; racing renames and posts answer 404, never an error', async () => {
      for (let round = 0; round < 5; round++) {
        const conversation = await createConversation(t, owner);
        const path = `/api/conversations/${conversation.id}`;
        const [first, second, ...racing] = await Promise.all([
          del(owner, path),
          del(owner, path),
          patch(owner, path, { title: 'renamed' }),
          patch(owner, path, { title: 'renamed' }),
          post(owner, `${path}/messages`, { role: 'user', content: 'racing' }),
          post(owner, `${path}/messages`, { role: 'user', content: 'racing' }),
        ]);
        expect([first.status, second.status].sort()).toEqual([204, 404]);
        for (const res of racing) expect([200, 201, 404]).toContain(res.status);
        const audit = await t.services.db('audit_log').where({ action: 'conversation.deleted', subject_id: conversation.id });
        expect(audit).toHaveLength(1);
        expect(await t.services.db('messages').where({ conversation_id: conversation.id })).toEqual([]);
      }
    });
  });

  describe('messages', () => {
    it('posts a user message, recording its author', async () => {
      const conversation = await createConversation(t, owner);
      const res = await post(owner, `/api/conversations/${conversation.id}/messages`, { role: 'user', content: 'from user' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        data: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          conversationId: conversation.id,
          role: 'user',
          authorId: owner.id,
          serviceAccountId: null,
          content: 'from user',
          editedBy: null,
          editedAt: null,
          attachments: [],
          execution: null,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
    });

    it.each(['assistant', 'system'])('answers 403 to the owner posting a %s message, storing nothing', async (role) => {
      const conversation = await createConversation(t, owner);
      const res = await post(owner, `/api/conversations/${conversation.id}/messages`, { role, content: `a fake ${role}` });
      expectError(res, 403, 'forbidden');
      expect(res.body.error.message).toMatch(/service accounts/);
      expect(await t.services.db('messages').where({ conversation_id: conversation.id })).toEqual([]);
    });

    it('lists messages oldest first, across pages without duplicates', async () => {
      const conversation = await createConversation(t, owner);
      const contents = ['m1', 'm2', 'm3', 'm4', 'm5'];
      for (const content of contents) await postMessage(owner, conversation.id, content);

      const pages = await collectPages(owner, `/api/conversations/${conversation.id}/messages`, 2);
      expect(pages.map((page) => page.map((item) => item.content))).toEqual([['m1', 'm2'], ['m3', 'm4'], ['m5']]);
      expect(new Set(pages.flat().map((item) => item.id)).size).toBe(5);

      const all = await get(owner, `/api/conversations/${conversation.id}/messages`);
      expect(all.body.data.map((item: { content: string }) => item.content)).toEqual(contents);
      expect(all.body.pagination).toEqual({ nextCursor: null });
    });

    it('gets, edits and deletes one message, leaving the others alone', async () => {
      const conversation = await createConversation(t, owner);
      const kept = await postMessage(owner, conversation.id, 'keep me');
      const message = await postMessage(owner, conversation.id, 'draft');
      const path = `/api/conversations/${conversation.id}/messages/${message.id}`;

      const fetched = await get(owner, path);
      expect(fetched.status).toBe(200);
      expect(fetched.body.data).toMatchObject({ id: message.id, role: 'user', content: 'draft' });

      const edited = await patch(owner, path, { content: 'final <b>answer</b>' });
      expect(edited.status).toBe(200);
      expect(edited.body.data).toMatchObject({ id: message.id, role: 'user', content: 'final <b>answer</b>' });
      expect((await get(owner, path)).body.data.content).toBe('final <b>answer</b>');

      const deleted = await del(owner, path);
      expect(deleted.status).toBe(204);
      expectError(await get(owner, path), 404, 'not_found');
      expectError(await del(owner, path), 404, 'not_found');
      const list = await get(owner, `/api/conversations/${conversation.id}/messages`);
      expect(list.body.data.map((item: { id: string; content: string }) => [item.id, item.content])).toEqual([[kept.id, 'keep me']]);
    });

    it('answers 404 for a message of another conversation, and leaves that message unchanged', async () => {
      const a = await createConversation(t, owner, 'A');
      const b = await createConversation(t, owner, 'B');
      const inB = await postMessage(owner, b.id, 'belongs to B');
      const wrongPath = `/api/conversations/${a.id}/messages/${inB.id}`;

      expectError(await get(owner, wrongPath), 404, 'not_found');
      expectError(await patch(owner, wrongPath, { content: 'hijacked' }), 404, 'not_found');
      expectError(await del(owner, wrongPath), 404, 'not_found');

      const still = await get(owner, `/api/conversations/${b.id}/messages/${inB.id}`);
      expect(still.status).toBe(200);
      expect(still.body.data.content).toBe('belongs to B');
    });
  });

  describe("someone else's conversation", () => {
    const randomId = () => crypto.randomUUID();
    const attempts: [string, (conversationId: string, messageId: string) => Promise<Response>][] = [
      ['GET the conversation', (c) => get(outsider, `/api/conversations/${c}`)],
      ['PATCH the conversation', (c) => patch(outsider, `/api/conversations/${c}`, { title: 'hijacked' })],
      ['DELETE the conversation', (c) => del(outsider, `/api/conversations/${c}`)],
      ['GET its messages', (c) => get(outsider, `/api/conversations/${c}/messages`)],
      ['POST a message', (c) => post(outsider, `/api/conversations/${c}/messages`, { role: 'user', content: 'hijacked' })],
      ['GET a message', (c, m) => get(outsider, `/api/conversations/${c}/messages/${m}`)],
      ['PATCH a message', (c, m) => patch(outsider, `/api/conversations/${c}/messages/${m}`, { content: 'hijacked' })],
      ['DELETE a message', (c, m) => del(outsider, `/api/conversations/${c}/messages/${m}`)],
    ];

    it.each(attempts)('%s answers 404, exactly as for a conversation that does not exist', async (_name, attempt) => {
      const conversation = await createConversation(t, owner, 'Private');
      const message = await postMessage(owner, conversation.id, 'secret');

      const foreign = await attempt(conversation.id, message.id);
      expectError(foreign, 404, 'not_found');
      const missing = await attempt(randomId(), randomId());
      expect(foreign.body).toEqual(missing.body);

      const after = await get(owner, `/api/conversations/${conversation.id}`);
      expect(after.body.data.title).toBe('Private');
      const messages = await get(owner, `/api/conversations/${conversation.id}/messages`);
      expect(messages.body.data.map((item: { id: string; content: string }) => [item.id, item.content])).toEqual([[message.id, 'secret']]);
    });

    it('is not in the outsider’s list', async () => {
      const conversation = await createConversation(t, owner, 'Private');
      const list = await get(outsider, '/api/conversations?limit=100');
      expect(list.status).toBe(200);
      expect(list.body.data.map((item: { id: string }) => item.id)).not.toContain(conversation.id);
      expect(list.body.data.every((item: { ownerId: string }) => item.ownerId === outsider.id)).toBe(true);
    });
  });

  describe('bad input', () => {
    it('answers 400 malformed_json for a body that is not valid JSON', async () => {
      const res = await t.request.post('/api/conversations').set(bearer(owner)).set('Content-Type', 'application/json').send('{"title": ');
      expectError(res, 400, 'malformed_json');
    });

    it.each([
      ['a number as title', { title: 42 }, 'title'],
      ['a missing title', {}, 'title'],
      ['an empty title', { title: '' }, 'title'],
      ['a blank title', { title: '   ' }, 'title'],
      ['a title over 200 characters', { title: 'x'.repeat(201) }, 'title'],
      ['a NUL character in the title', { title: 'a\u0000b' }, 'title'],
      ['an unknown field', { title: 'ok', color: 'red' }, 'color'],
      ['a workspaceId that is not an id', { title: 'ok', workspaceId: 'team' }, 'workspaceId'],
    ])('refuses to create a conversation with %s (400 validation_failed)', async (_case, body, field) => {
      const res = await post(owner, '/api/conversations', body);
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      expect(res.body.error.message).toMatch(new RegExp(`^${field}: `));
    });

    it('refuses a rename with an empty title or an unknown field, keeping the old title', async () => {
      const conversation = await createConversation(t, owner, 'Keep');
      expectError(await patch(owner, `/api/conversations/${conversation.id}`, { title: '' }), 400, 'validation_failed');
      expectError(
        await patch(owner, `/api/conversations/${conversation.id}`, { title: 'x', ownerId: outsider.id }),
        400,
        'validation_failed',
      );
      const fetched = await get(owner, `/api/conversations/${conversation.id}`);
      expect(fetched.body.data).toMatchObject({ title: 'Keep', ownerId: owner.id });
    });

    it.each([
      ['an invalid role', { role: 'admin', content: 'hi' }, 'role'],
      ['a missing role', { content: 'hi' }, 'role'],
      ['empty content', { role: 'user', content: '' }, 'content'],
      ['content that is not a string', { role: 'user', content: ['hi'] }, 'content'],
      ['a NUL character in the content', { role: 'user', content: 'a\u0000b' }, 'content'],
      ['an unknown field', { role: 'user', content: 'hi', authorId: crypto.randomUUID() }, 'authorId'],
    ])('refuses a message with %s (400 validation_failed)', async (_case, body, field) => {
      const conversation = await createConversation(t, owner);
      const res = await post(owner, `/api/conversations/${conversation.id}/messages`, body);
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      const list = await get(owner, `/api/conversations/${conversation.id}/messages`);
      expect(list.body.data).toEqual([]);
    });

    it('answers 413 payload_too_large for a 2 MiB body', async () => {
      const res = await post(owner, '/api/conversations', { title: 'big', padding: 'x'.repeat(2 * 1024 * 1024) });
      expectError(res, 413, 'payload_too_large');
    });

    it.each([
      ['text/plain', 'title=hello'],
      ['application/x-www-form-urlencoded', 'title=hello'],
    ])('answers 415 unsupported_media_type for a %s body and creates nothing', async (type, body) => {
      const user = await registerUser(t);
      const res = await t.request.post('/api/conversations').set(bearer(user)).set('Content-Type', type).send(body);
      expectError(res, 415, 'unsupported_media_type');
      expect((await get(user, '/api/conversations')).body.data).toEqual([]);
    });

    it.each([
      ['GET', '/api/conversations/not-a-uuid'],
      ['PATCH', '/api/conversations/not-a-uuid'],
      ['DELETE', '/api/conversations/not-a-uuid'],
      ['GET', '/api/conversations/not-a-uuid/messages'],
      ['GET', `/api/conversations/${crypto.randomUUID()}/messages/not-a-uuid`],
      ['GET', `/api/conversations/${crypto.randomUUID()}'%20or%201=1--`],
    ])('answers 404 not_found for %s %s', async (method, path) => {
      const request = t.request[method.toLowerCase() as 'get' | 'patch' | 'delete'](path).set(bearer(owner));
      const res = method === 'PATCH' ? await request.send({ title: 'x' }) : await request;
      expectError(res, 404, 'not_found');
    });

    it.each([
      ['not base64 of a cursor', 'bogus'],
      ['a cursor of another shape', Buffer.from('id:1').toString('base64url')],
      ['a cursor of another list', Buffer.from(JSON.stringify(['2026-11-29T10:00:00.000000Z', 'abc'])).toString('base64url')],
      ['a sequence that is not a number', Buffer.from(JSON.stringify(['1 or 1=1'])).toString('base64url')],
      ['an over-long value', 'A'.repeat(401)],
    ])('answers 400 for a cursor that is %s', async (_case, cursor) => {
      const res = await get(owner, `/api/conversations?cursor=${encodeURIComponent(cursor)}`);
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual([{ field: expect.stringMatching(/cursor$/), message: expect.any(String) }]);
    });

    it('answers 400 for a bogus cursor on messages too', async () => {
      const conversation = await createConversation(t, owner);
      expectError(await get(owner, `/api/conversations/${conversation.id}/messages?cursor=bogus`), 400, 'validation_failed');
    });

    it.each(['0', '101', '-1', '1.5', 'ten'])('answers 400 for limit=%s', async (limit) => {
      const res = await get(owner, `/api/conversations?limit=${limit}`);
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual([{ field: 'query.limit', message: expect.any(String) }]);
    });

    it('answers 400 for an unknown query parameter', async () => {
      const res = await get(owner, '/api/conversations?sort=title');
      expectError(res, 400, 'validation_failed');
    });

    it('answers 404 for a workspace that does not exist, and creates nothing', async () => {
      const user = await registerUser(t);
      const res = await post(user, '/api/conversations', { title: 'In a team', workspaceId: crypto.randomUUID() });
      expectError(res, 404, 'not_found');
      expect((await get(user, '/api/conversations')).body.data).toEqual([]);
    });

    it.each([
      ['no token', undefined, 'unauthenticated'],
      ['a garbage token', 'Bearer not-a-jwt', 'token_invalid'],
    ])('answers 401 with %s', async (_case, authorization, code) => {
      const conversation = await createConversation(t, owner);
      const requests = [
        t.request.get('/api/conversations'),
        t.request.post('/api/conversations').send({ title: 'x' }),
        t.request.get(`/api/conversations/${conversation.id}`),
        t.request.delete(`/api/conversations/${conversation.id}`),
        t.request.post(`/api/conversations/${conversation.id}/messages`).send({ role: 'user', content: 'x' }),
      ];
      for (const request of requests) {
        expectError(await (authorization ? request.set('Authorization', authorization) : request), 401, code);
      }
      expect((await get(owner, `/api/conversations/${conversation.id}`)).status).toBe(200);
    });

    it.each([
      ['GET', '/api/nowhere'],
      ['PUT', '/api/conversations'],
      ['POST', '/api/conversations/00000000-0000-4000-8000-000000000000/archive'],
    ])('answers an unknown route (%s %s) with a JSON 404', async (method, path) => {
      const res = await t.request[method.toLowerCase() as 'get' | 'put' | 'post'](path).set(bearer(owner));
      expectError(res, 404, 'not_found');
    });
  });
});

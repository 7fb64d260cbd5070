import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import {
  addWorkspaceMember,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';

const READ_ONLY = {
  read: true,
  comment: false,
  update: false,
  postMessage: false,
  editMessage: false,
  deleteMessage: false,
  delete: false,
  share: false,
};
const WRITE = { ...READ_ONLY, comment: true, update: true, postMessage: true, editMessage: true, deleteMessage: true };
const MANAGE = { ...WRITE, delete: true, share: true };

describe.each(['postgres', 'pglite'] as const)('conversations in workspaces on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let viewer: TestUser;
  let outsider: TestUser;
  let workspaceId: string;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    [owner, admin, member, viewer, outsider] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    workspaceId = (await createWorkspace(t, owner, 'Conversations')).id;
    await addWorkspaceMember(t, workspaceId, admin, 'admin');
    await addWorkspaceMember(t, workspaceId, member, 'member');
    await addWorkspaceMember(t, workspaceId, viewer, 'viewer');
  });
  afterAll(() => t?.close());

  const { get, post, patch, del } = requestsAs(() => t);

  describe('creating', () => {
    it.each([
      ['an admin', () => admin],
      ['a member', () => member],
    ])('lets %s create a conversation in the workspace', async (_name, user) => {
      const res = await post(user(), '/api/conversations', { title: 'Plan', workspaceId });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ title: 'Plan', workspaceId, ownerId: user().id });
      const audit = await t.services.db('audit_log').where({ subject_type: 'conversation', subject_id: res.body.data.id }).first();
      expect(audit).toMatchObject({ action: 'conversation.created', actor_id: user().id, data: { workspaceId } });
    });

    it('answers 403 to a viewer and 404 to a non-member, creating nothing', async () => {
      expectError(await post(viewer, '/api/conversations', { title: 'Nope', workspaceId }), 403, 'forbidden');
      expectError(await post(outsider, '/api/conversations', { title: 'Nope', workspaceId }), 404, 'not_found');
      expect(await t.services.db('conversations').where({ workspace_id: workspaceId, title: 'Nope' })).toEqual([]);
    });
  });

  describe('listing', () => {
    it('lists a workspace’s conversations, whoever created them, to every member, newest first', async () => {
      const { id } = await createWorkspace(t, owner, 'Listing');
      await addWorkspaceMember(t, id, viewer, 'viewer');
      const first = await createWorkspaceConversation(t, owner, id, 'First');
      const second = await createWorkspaceConversation(t, owner, id, 'Second');
      const res = await get(viewer, `/api/conversations?workspaceId=${id}`);
      expect(res.status).toBe(200);
      expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([second.id, first.id]);
      expect(res.body.data[0].policies).toEqual(READ_ONLY);
      const paged = await get(viewer, `/api/conversations?workspaceId=${id}&limit=1`);
      const next = await get(viewer, `/api/conversations?workspaceId=${id}&limit=1&cursor=${paged.body.pagination.nextCursor}`);
      expect([...paged.body.data, ...next.body.data].map((c: { id: string }) => c.id)).toEqual([second.id, first.id]);
    });

    it('keeps workspace conversations out of the personal list, even for their creator', async () => {
      const user = await registerUser(t);
      const { id } = await createWorkspace(t, user, 'Mine too');
      const personal = await createConversation(t, user, 'Personal');
      await createWorkspaceConversation(t, user, id, 'Team');
      const res = await get(user, '/api/conversations');
      expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([personal.id]);
    });

    it('answers 404 to a non-member and 400 for a workspaceId that is not an id', async () => {
      expectError(await get(outsider, `/api/conversations?workspaceId=${workspaceId}`), 404, 'not_found');
      expectError(await get(member, `/api/conversations?workspaceId=${crypto.randomUUID()}`), 404, 'not_found');
      expectError(await get(member, '/api/conversations?workspaceId=team'), 400, 'validation_failed');
    });
  });

  describe('what each role may do to a workspace conversation', () => {
    let conversationId: string;
    beforeAll(async () => {
      conversationId = (await createWorkspaceConversation(t, member, workspaceId, 'Shared work')).id;
    });

    it('gives each role its policies: viewers read, members write, admins manage and share', async () => {
      const policies = async (user: TestUser) => (await get(user, `/api/conversations/${conversationId}`)).body.data.policies;
      expect(await policies(viewer)).toEqual(READ_ONLY);
      expect(await policies(member)).toEqual(WRITE);
      expect(await policies(admin)).toEqual(MANAGE);
      expect(await policies(owner)).toEqual(MANAGE);
      expect((await policies(member)).share).toBe(false);
      expect((await policies(admin)).share).toBe(true);
    });

    it('lets a viewer read the conversation and its messages but not post (403) or rename (403)', async () => {
      const message = await post(member, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'from a member' });
      expect(message.status).toBe(201);
      expect((await get(viewer, `/api/conversations/${conversationId}`)).status).toBe(200);
      const messages = await get(viewer, `/api/conversations/${conversationId}/messages`);
      expect(messages.body.data.map((m: { id: string }) => m.id)).toContain(message.body.data.id);

      expectError(
        await post(viewer, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'viewer' }),
        403,
        'forbidden',
      );
      expectError(await patch(viewer, `/api/conversations/${conversationId}`, { title: 'Viewer was here' }), 403, 'forbidden');
      expectError(
        await patch(viewer, `/api/conversations/${conversationId}/messages/${message.body.data.id}`, { content: 'x' }),
        403,
        'forbidden',
      );
      const contents = (await get(member, `/api/conversations/${conversationId}/messages`)).body.data.map(
        (m: { content: string }) => m.content,
      );
      expect(contents).not.toContain('viewer');
    });

    it('lets a member post and rename a conversation someone else created, but not delete it (403)', async () => {
      const created = await createWorkspaceConversation(t, admin, workspaceId, 'By the admin');
      expect((await post(member, `/api/conversations/${created.id}/messages`, { role: 'user', content: 'hi' })).status).toBe(201);
      expect((await patch(member, `/api/conversations/${created.id}`, { title: 'Renamed by member' })).body.data.title).toBe(
        'Renamed by member',
      );
      expectError(await del(member, `/api/conversations/${created.id}`), 403, 'forbidden');
      expectError(await del(viewer, `/api/conversations/${created.id}`), 403, 'forbidden');
      expect((await get(admin, `/api/conversations/${created.id}`)).status).toBe(200);
    });

    it('lets an admin delete a conversation a member created', async () => {
      const created = await createWorkspaceConversation(t, member, workspaceId, 'To delete');
      expect((await del(admin, `/api/conversations/${created.id}`)).status).toBe(204);
      expectError(await get(member, `/api/conversations/${created.id}`), 404, 'not_found');
    });

    it('answers 404 to a non-member for every route of a workspace conversation', async () => {
      expectError(await get(outsider, `/api/conversations/${conversationId}`), 404, 'not_found');
      expectError(await get(outsider, `/api/conversations/${conversationId}/messages`), 404, 'not_found');
      expectError(await post(outsider, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'x' }), 404, 'not_found');
      expectError(await del(outsider, `/api/conversations/${conversationId}`), 404, 'not_found');
    });

    it('takes a changed role into account at once', async () => {
      const user = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, user, 'viewer');
      expectError(await post(user, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'x' }), 403, 'forbidden');
      expect((await patch(owner, `/api/workspace/${workspaceId}/members/${user.id}`, { role: 'member' })).status).toBe(200);
      expect((await post(user, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'x' })).status).toBe(201);
    });
  });

  describe('whose messages each role may edit and delete', () => {
    let conversationId: string;
    let convener: TestUser;

    beforeAll(async () => {
      // A member starts the conversation: its owner, with a member's role in the workspace.
      convener = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, convener, 'member');
      conversationId = (await post(convener, '/api/conversations', { title: 'Moderated', workspaceId })).body.data.id;
    });

    const postAs = async (user: TestUser, content: string) => {
      const res = await post(user, `/api/conversations/${conversationId}/messages`, { role: 'user', content });
      expect(res.status).toBe(201);
      return `/api/conversations/${conversationId}/messages/${res.body.data.id as string}`;
    };
    const contentAt = async (path: string) => (await get(owner, path)).body.data.content as string;

    it('lets an author edit their own message, recording who and when, and keeps the text it replaced', async () => {
      const path = await postAs(member, 'first wording');
      const res = await patch(member, path, { content: 'second wording' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        content: 'second wording',
        authorId: member.id,
        editedBy: member.id,
        editedAt: expect.any(String),
      });
      expect(Date.parse(res.body.data.editedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.data.createdAt));
      const audit = await t.services
        .db('audit_log')
        .where({ action: 'message.updated', actor_id: member.id })
        .orderBy('id', 'desc')
        .first();
      expect(audit.data).toMatchObject({ previousContent: 'first wording' });
    });

    it.each([
      ['a member', 'an admin’s', () => member, () => admin],
      ['a workspace admin', 'a member’s', () => admin, () => member],
      ['the workspace owner', 'a member’s', () => owner, () => member],
      ['the conversation’s owner', 'a member’s', () => convener, () => member],
    ])('answers 403 when %s rewrites %s message, changing nothing', async (_who, _whose, editor, author) => {
      const path = await postAs(author(), 'my own words');
      expectError(await patch(editor(), path, { content: 'words put in their mouth' }), 403, 'forbidden');
      expect(await contentAt(path)).toBe('my own words');
    });

    it('answers 403 to a viewer and 404 to an outsider editing or deleting', async () => {
      const path = await postAs(member, 'still here');
      expectError(await patch(viewer, path, { content: 'x' }), 403, 'forbidden');
      expectError(await del(viewer, path), 403, 'forbidden');
      expectError(await patch(outsider, path, { content: 'x' }), 404, 'not_found');
      expectError(await del(outsider, path), 404, 'not_found');
      expect(await contentAt(path)).toBe('still here');
    });

    it('lets an author delete their own message, but not another member theirs', async () => {
      const own = await postAs(member, 'mine');
      const theirs = await postAs(admin, 'the admin’s');
      expectError(await del(member, theirs), 403, 'forbidden');
      expect((await del(member, own)).status).toBe(204);
    });

    it('lets a workspace admin and the conversation’s owner delete anyone’s message', async () => {
      const first = await postAs(member, 'moderated by an admin');
      const second = await postAs(member, 'moderated by the owner');
      expect((await del(admin, first)).status).toBe(204);
      expect((await del(convener, second)).status).toBe(204);
      expect((await get(owner, first)).status).toBe(404);
      expect((await get(owner, second)).status).toBe(404);
    });
  });
});

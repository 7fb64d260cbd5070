import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import {
  addWorkspaceMember,
  bearer,
  createWorkspace,
  createWorkspaceConversation,
  recordEvents,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';

const OWNER_POLICIES = {
  read: true,
  createConversation: true,
  update: true,
  manageMembers: true,
  invite: true,
  delete: true,
  transferOwnership: true,
};

describe.each(['postgres', 'pglite'] as const)('workspaces on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    owner = await registerUser(t, { name: 'Olive Owner' });
    outsider = await registerUser(t);
  });
  afterAll(() => t?.close());

  const { get, post, patch, del } = requestsAs(() => t);
  const auditOf = (workspaceId: string) =>
    t.services
      .db('audit_log')
      .where({ subject_type: 'workspace', subject_id: workspaceId })
      .orderBy('id')
      .select('action', 'actor_id', 'data');

  /** A workspace with one user per role besides its owner. */
  async function team(name = 'Team') {
    const workspace = await createWorkspace(t, owner, name);
    const [admin, member, viewer] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    await addWorkspaceMember(t, workspace.id, admin, 'admin');
    await addWorkspaceMember(t, workspace.id, member, 'member');
    await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
    return { workspace, admin, member, viewer };
  }

  describe('creating', () => {
    it('creates a workspace owned by the caller, who becomes an admin member, and records it', async () => {
      const res = await post(owner, '/api/workspace', { name: 'Research Lab' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        data: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'Research Lab',
          slug: 'research-lab',
          ownerId: owner.id,
          role: 'admin',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          policies: OWNER_POLICIES,
        },
      });
      const members = await t.services.db('workspace_members').where({ workspace_id: res.body.data.id }).select('user_id', 'role');
      expect(members).toEqual([{ user_id: owner.id, role: 'admin' }]);
      const audit = await auditOf(res.body.data.id);
      expect(audit).toEqual([{ action: 'workspace.created', actor_id: owner.id, data: { name: 'Research Lab', slug: 'research-lab' } }]);
    });

    it('gives a second workspace with the same name the slug with -2, and a third -3', async () => {
      const user = await registerUser(t);
      const first = await createWorkspace(t, user, 'Acme');
      const second = await createWorkspace(t, outsider, 'Acme');
      const third = await createWorkspace(t, user, 'ACME');
      expect([first.slug, second.slug, third.slug]).toEqual(['acme', 'acme-2', 'acme-3']);
      expect([first.name, second.name, third.name]).toEqual(['Acme', 'Acme', 'ACME']);
    });

    it('makes slugs lowercase and strict, and falls back when nothing is left of the name', async () => {
      const accents = await createWorkspace(t, owner, 'Ünïcødé  Café & Co.!');
      const nothing = await createWorkspace(t, owner, '🎉🎉');
      expect(accents.slug).toMatch(/^unicode-cafe-and-co(-\d+)?$/);
      expect(nothing.slug).toMatch(/^workspace(-\d+)?$/);
    });

    it('gives every one of several concurrent workspaces with one name its own slug', async () => {
      const responses = await Promise.all(Array.from({ length: 6 }, () => post(owner, '/api/workspace', { name: 'Race Day' })));
      expect(responses.map((res) => res.status)).toEqual([201, 201, 201, 201, 201, 201]);
      const slugs = responses.map((res) => res.body.data.slug as string).sort();
      expect(slugs).toEqual(['race-day', 'race-day-2', 'race-day-3', 'race-day-4', 'race-day-5', 'race-day-6']);
    });

    it.each([
      ['a missing name', {}, 'name'],
      ['an empty name', { name: '   ' }, 'name'],
      ['a name over 100 characters', { name: 'x'.repeat(101) }, 'name'],
      ['a line break in the name', { name: 'Acme\r\nBcc: victim@example.com' }, 'name'],
      ['an unknown field', { name: 'Acme', slug: 'chosen' }, 'slug'],
    ])('refuses %s with 400 and creates nothing', async (_case, body, field) => {
      const user = await registerUser(t);
      const res = await post(user, '/api/workspace', body);
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      expect((await get(user, '/api/workspace')).body.data).toEqual([]);
    });

    it('answers 401 without a token', async () => {
      expectError(await t.request.post('/api/workspace').send({ name: 'x' }), 401, 'unauthenticated');
      expectError(await t.request.get('/api/workspace'), 401, 'unauthenticated');
    });
  });

  describe('reading', () => {
    it('lists the workspaces the caller belongs to, with their role in each, by slug across pages', async () => {
      const user = await registerUser(t);
      const mine = await createWorkspace(t, user, 'Zeta');
      const { workspace: viewing } = await team('Alpha');
      await addWorkspaceMember(t, viewing.id, user, 'viewer');
      await createWorkspace(t, outsider, 'Not Yours');

      const first = await get(user, '/api/workspace?limit=1');
      expect(first.status).toBe(200);
      expect(first.body.data.map((w: { id: string; role: string }) => [w.id, w.role])).toEqual([[viewing.id, 'viewer']]);
      const second = await get(user, `/api/workspace?limit=1&cursor=${first.body.pagination.nextCursor}`);
      expect(second.body.data.map((w: { id: string; role: string }) => [w.id, w.role])).toEqual([[mine.id, 'admin']]);
      expect(second.body.pagination).toEqual({ nextCursor: null });
      expect(second.body.data[0].policies).toEqual(OWNER_POLICIES);
      expect(first.body.data[0].policies).toMatchObject({ read: true, createConversation: false, update: false, delete: false });
    });

    it('answers 400 for a cursor it did not issue', async () => {
      expectError(await get(owner, '/api/workspace?cursor=bogus'), 400, 'validation_failed');
    });

    it('shows a workspace to each member with their own role', async () => {
      const { workspace, member, viewer } = await team();
      const asMember = await get(member, `/api/workspace/${workspace.id}`);
      expect(asMember.status).toBe(200);
      expect(asMember.body.data).toMatchObject({ id: workspace.id, role: 'member', ownerId: owner.id });
      expect((await get(viewer, `/api/workspace/${workspace.id}`)).body.data.role).toBe('viewer');
    });

    it('answers 404 to a non-member for every workspace route, exactly as for a workspace that does not exist', async () => {
      const { workspace, member } = await team();
      const attempts: Array<(id: string) => Promise<Response>> = [
        (id) => get(outsider, `/api/workspace/${id}`),
        (id) => patch(outsider, `/api/workspace/${id}`, { name: 'Hijacked' }),
        (id) => del(outsider, `/api/workspace/${id}`),
        (id) => get(outsider, `/api/workspace/${id}/members`),
        (id) => patch(outsider, `/api/workspace/${id}/members/${member.id}`, { role: 'viewer' }),
        (id) => del(outsider, `/api/workspace/${id}/members/${member.id}`),
        (id) => post(outsider, `/api/workspace/${id}/transfer`, { userId: outsider.id }),
        (id) => post(outsider, `/api/workspace/${id}/invitations`, { email: 'x@example.com', role: 'member' }),
        (id) => get(outsider, `/api/workspace/${id}/invitations`),
        (id) => post(outsider, `/api/workspace/${id}/invitations/${crypto.randomUUID()}/resend`, {}),
        (id) => del(outsider, `/api/workspace/${id}/invitations/${crypto.randomUUID()}`),
        (id) => get(outsider, `/api/conversations?workspaceId=${id}`),
        (id) => post(outsider, '/api/conversations', { title: 'x', workspaceId: id }),
      ];
      for (const attempt of attempts) {
        const foreign = await attempt(workspace.id);
        expectError(foreign, 404, 'not_found');
        expect(foreign.body).toEqual((await attempt(crypto.randomUUID())).body);
      }
      expect((await get(owner, `/api/workspace/${workspace.id}`)).body.data.name).toBe('Team');
      const members = await t.services.db('workspace_members').where({ workspace_id: workspace.id }).orderBy('role').pluck('role');
      expect(members).toEqual(['admin', 'admin', 'member', 'viewer']);
      expect(await t.services.db('conversations').where({ workspace_id: workspace.id })).toEqual([]);
    });

    it('answers 404 for an id that is not a uuid', async () => {
      expectError(await get(owner, '/api/workspace/acme'), 404, 'not_found');
    });
  });

  describe('renaming', () => {
    it('lets an admin rename the workspace, keeping its slug, and records it', async () => {
      const { workspace, admin } = await team('Old Name');
      const res = await patch(admin, `/api/workspace/${workspace.id}`, { name: 'New Name' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ name: 'New Name', slug: workspace.slug, role: 'admin' });
      const audit = await auditOf(workspace.id);
      expect(audit.at(-1)).toEqual({
        action: 'workspace.updated',
        actor_id: admin.id,
        data: { name: { from: 'Old Name', to: 'New Name' } },
      });
    });

    it.each(['member', 'viewer'] as const)('answers 403 when a %s renames, and keeps the name', async (role) => {
      const roles = await team('Keep');
      expectError(await patch(roles[role], `/api/workspace/${roles.workspace.id}`, { name: 'Nope' }), 403, 'forbidden');
      expect((await get(owner, `/api/workspace/${roles.workspace.id}`)).body.data.name).toBe('Keep');
    });
  });

  describe('deleting', () => {
    it('answers 403 to an admin who is not the owner, and to a member', async () => {
      const { workspace, admin, member } = await team();
      expectError(await del(admin, `/api/workspace/${workspace.id}`), 403, 'forbidden');
      expectError(await del(member, `/api/workspace/${workspace.id}`), 403, 'forbidden');
      expect((await get(owner, `/api/workspace/${workspace.id}`)).status).toBe(200);
    });

    it('deletes the workspace with its conversations and members, announcing each deleted conversation after commit', async () => {
      const { workspace, member } = await team();
      const first = await createWorkspaceConversation(t, owner, workspace.id, 'First');
      const second = await createWorkspaceConversation(t, member, workspace.id, 'Second');
      await t.request.post(`/api/conversations/${second.id}/messages`).set(bearer(member)).send({ role: 'user', content: 'hi' });
      const personal = await t.request.post('/api/conversations').set(bearer(member)).send({ title: 'Mine' });
      const rowSeenByListener = new Promise<unknown>((resolve) => {
        const stop = t.services.bus.subscribe('conversation.deleted', async ({ conversationId }) => {
          if (conversationId !== first.id) return;
          stop();
          resolve((await t.services.db('conversations').where({ id: conversationId }).first()) ?? null);
        });
      });
      const events = recordEvents(t.services.bus, 'conversation.deleted');

      expect((await del(owner, `/api/workspace/${workspace.id}`)).status).toBe(204);

      for (const conversation of [first, second]) {
        const event = await events.waitFor((payload) => payload.conversationId === conversation.id);
        expect(event).toEqual({ conversationId: conversation.id, workspaceId: workspace.id, actorId: owner.id });
      }
      events.stop();
      expect(await rowSeenByListener).toBeNull();
      expect(await t.services.db('conversations').whereIn('id', [first.id, second.id])).toEqual([]);
      expect(await t.services.db('messages').where({ conversation_id: second.id })).toEqual([]);
      expect(await t.services.db('workspace_members').where({ workspace_id: workspace.id })).toEqual([]);
      expectError(await get(owner, `/api/workspace/${workspace.id}`), 404, 'not_found');
      expect((await get(member, `/api/conversations/${personal.body.data.id}`)).status).toBe(200);

      const audit = await auditOf(workspace.id);
      expect(audit.at(-1)).toEqual({
        action: 'workspace.deleted',
        actor_id: owner.id,
        data: { name: 'Team', slug: workspace.slug, conversations: 2 },
      });
      const conversationAudit = await t.services
        .db('audit_log')
        .where({ subject_type: 'conversation', action: 'conversation.deleted' })
        .whereIn('subject_id', [first.id, second.id]);
      expect(conversationAudit).toHaveLength(2);
    });
  });
});

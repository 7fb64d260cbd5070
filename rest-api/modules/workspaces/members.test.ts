import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

describe.each(['postgres', 'pglite'] as const)('workspace members on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    owner = await registerUser(t, { name: 'Olive Owner' });
  });
  afterAll(() => t?.close());

  const { get, post, patch, del } = requestsAs(() => t);
  const auditOf = (workspaceId: string) =>
    t.services
      .db('audit_log')
      .where({ subject_type: 'workspace', subject_id: workspaceId })
      .orderBy('id')
      .select('action', 'actor_id', 'data');
  const roleOf = async (workspaceId: string, user: TestUser) =>
    (await t.services.db('workspace_members').where({ workspace_id: workspaceId, user_id: user.id }).first('role'))?.role ?? null;

  async function team() {
    const workspace = await createWorkspace(t, owner, 'Team');
    const [admin, member, viewer] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    await addWorkspaceMember(t, workspace.id, admin, 'admin');
    await addWorkspaceMember(t, workspace.id, member, 'member');
    await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
    return { workspace, admin, member, viewer, path: `/api/workspace/${workspace.id}` };
  }

  describe('listing', () => {
    it('shows every member to any member, by email, with roles and the owner marked', async () => {
      const { admin, member, viewer, path } = await team();
      const res = await get(viewer, `${path}/members`);
      expect(res.status).toBe(200);
      const expected = [owner, admin, member, viewer]
        .map((user) => ({ userId: user.id, email: user.email }))
        .sort((a, b) => a.email.localeCompare(b.email));
      expect(res.body.data.map((m: { userId: string; email: string }) => ({ userId: m.userId, email: m.email }))).toEqual(expected);
      expect(res.body.data.find((m: { userId: string }) => m.userId === owner.id)).toEqual({
        userId: owner.id,
        name: 'Olive Owner',
        email: owner.email,
        role: 'admin',
        isOwner: true,
        joinedAt: expect.any(String),
      });
      expect(res.body.data.filter((m: { isOwner: boolean }) => m.isOwner)).toHaveLength(1);
      expect(res.body.pagination).toEqual({ nextCursor: null });

      const pageOne = await get(member, `${path}/members?limit=3`);
      const pageTwo = await get(member, `${path}/members?limit=3&cursor=${pageOne.body.pagination.nextCursor}`);
      expect([...pageOne.body.data, ...pageTwo.body.data].map((m: { userId: string }) => m.userId)).toEqual(expected.map((m) => m.userId));
    });
  });

  describe('changing roles', () => {
    it('lets an admin change a role, records it and announces it after commit', async () => {
      const { workspace, admin, viewer, path } = await team();
      const events = recordEvents(t.services.bus, 'member.role_changed');
      const res = await patch(admin, `${path}/members/${viewer.id}`, { role: 'member' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ userId: viewer.id, role: 'member', isOwner: false });
      expect(await roleOf(workspace.id, viewer)).toBe('member');
      const event = await events.waitFor((payload) => payload.userId === viewer.id);
      events.stop();
      expect(event).toEqual({ workspaceId: workspace.id, userId: viewer.id, role: 'member' });
      expect((await auditOf(workspace.id)).at(-1)).toEqual({
        action: 'member.role_changed',
        actor_id: admin.id,
        data: { userId: viewer.id, from: 'viewer', to: 'member' },
      });
    });

    it.each(['member', 'viewer'] as const)('answers 403 when a %s changes a role', async (role) => {
      const roles = await team();
      expectError(await patch(roles[role], `${roles.path}/members/${roles.viewer.id}`, { role: 'admin' }), 403, 'forbidden');
      expect(await roleOf(roles.workspace.id, roles.viewer)).toBe('viewer');
    });

    it('answers 404 for someone who is not a member, and 400 for an unknown role', async () => {
      const { admin, member, path } = await team();
      const stranger = await registerUser(t);
      expectError(await patch(admin, `${path}/members/${stranger.id}`, { role: 'member' }), 404, 'not_found');
      expectError(await patch(admin, `${path}/members/${member.id}`, { role: 'owner' }), 400, 'validation_failed');
    });

    it('refuses to demote the owner (409 owner_cannot_leave) while another admin exists', async () => {
      const { workspace, admin, path } = await team();
      expectError(await patch(admin, `${path}/members/${owner.id}`, { role: 'member' }), 409, 'owner_cannot_leave');
      expect(await roleOf(workspace.id, owner)).toBe('admin');
    });

    it('refuses to demote the last admin (409 last_admin)', async () => {
      const workspace = await createWorkspace(t, owner, 'Solo');
      expectError(await patch(owner, `/api/workspace/${workspace.id}/members/${owner.id}`, { role: 'viewer' }), 409, 'last_admin');
      expect(await roleOf(workspace.id, owner)).toBe('admin');
    });

    it('lets an admin demote another admin who is not the owner', async () => {
      const { workspace, admin, path } = await team();
      const second = await registerUser(t);
      await addWorkspaceMember(t, workspace.id, second, 'admin');
      expect((await patch(admin, `${path}/members/${second.id}`, { role: 'viewer' })).status).toBe(200);
      expect(await roleOf(workspace.id, second)).toBe('viewer');
    });
  });

  describe('removing and leaving', () => {
    it('lets an admin remove a member, who loses access to the workspace and its conversations at once', async () => {
      const { workspace, admin, member, path } = await team();
      const conversation = await createWorkspaceConversation(t, member, workspace.id, 'Made by the member');
      expect((await get(member, `/api/conversations/${conversation.id}`)).status).toBe(200);
      const events = recordEvents(t.services.bus, 'member.removed');

      expect((await del(admin, `${path}/members/${member.id}`)).status).toBe(204);

      const event = await events.waitFor((payload) => payload.userId === member.id);
      events.stop();
      expect(event).toEqual({ workspaceId: workspace.id, userId: member.id });
      expect(await roleOf(workspace.id, member)).toBeNull();
      expectError(await get(member, `/api/conversations/${conversation.id}`), 404, 'not_found');
      expectError(await post(member, `/api/conversations/${conversation.id}/messages`, { role: 'user', content: 'x' }), 404, 'not_found');
      expectError(await get(member, path), 404, 'not_found');
      expectError(await get(member, `/api/conversations?workspaceId=${workspace.id}`), 404, 'not_found');
      expect((await get(admin, `/api/conversations/${conversation.id}`)).status).toBe(200);
      expect((await auditOf(workspace.id)).at(-1)).toEqual({
        action: 'member.removed',
        actor_id: admin.id,
        data: { userId: member.id, role: 'member' },
      });
    });

    it('lets any member leave, recorded as member.left and announced as member.removed', async () => {
      const { workspace, viewer, path } = await team();
      const events = recordEvents(t.services.bus, 'member.removed');
      expect((await del(viewer, `${path}/members/${viewer.id}`)).status).toBe(204);
      await events.waitFor((payload) => payload.userId === viewer.id && payload.workspaceId === workspace.id);
      events.stop();
      expect(await roleOf(workspace.id, viewer)).toBeNull();
      expect((await auditOf(workspace.id)).at(-1)).toEqual({
        action: 'member.left',
        actor_id: viewer.id,
        data: { userId: viewer.id, role: 'viewer' },
      });
    });

    it('answers 403 when a member removes someone else', async () => {
      const { workspace, member, viewer, path } = await team();
      expectError(await del(member, `${path}/members/${viewer.id}`), 403, 'forbidden');
      expect(await roleOf(workspace.id, viewer)).toBe('viewer');
    });

    it('refuses to let the owner leave or be removed while another admin exists (409 owner_cannot_leave)', async () => {
      const { workspace, admin, path } = await team();
      expectError(await del(owner, `${path}/members/${owner.id}`), 409, 'owner_cannot_leave');
      expectError(await del(admin, `${path}/members/${owner.id}`), 409, 'owner_cannot_leave');
      expect(await roleOf(workspace.id, owner)).toBe('admin');
    });

    it('refuses to remove the last admin (409 last_admin), and publishes nothing', async () => {
      const workspace = await createWorkspace(t, owner, 'Solo');
      const member = await registerUser(t);
      await addWorkspaceMember(t, workspace.id, member, 'member');
      const events = recordEvents(t.services.bus, 'member.removed');
      expectError(await del(owner, `/api/workspace/${workspace.id}/members/${owner.id}`), 409, 'last_admin');
      // The bus delivers in order: once this removal's event arrives, an earlier one would have too.
      expect((await del(member, `/api/workspace/${workspace.id}/members/${member.id}`)).status).toBe(204);
      await events.waitFor((payload) => payload.userId === member.id);
      events.stop();
      expect(events.seen.filter((payload) => payload.userId === owner.id)).toEqual([]);
      expect(await roleOf(workspace.id, owner)).toBe('admin');
    });

    it('answers 404 for removing someone who is not a member', async () => {
      const { admin, path } = await team();
      expectError(await del(admin, `${path}/members/${crypto.randomUUID()}`), 404, 'not_found');
    });
  });

  describe('transferring ownership', () => {
    it('lets the owner hand over to an admin, who may then delete; the former owner may then leave', async () => {
      const { workspace, admin, path } = await team();
      const res = await post(owner, `${path}/transfer`, { userId: admin.id });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ ownerId: admin.id, role: 'admin' });
      expect(res.body.data.policies).toMatchObject({ delete: false, transferOwnership: false, manageMembers: true });
      expect((await get(admin, path)).body.data.policies).toMatchObject({ delete: true, transferOwnership: true });
      expect((await auditOf(workspace.id)).at(-1)).toEqual({
        action: 'ownership.transferred',
        actor_id: owner.id,
        data: { from: owner.id, to: admin.id },
      });

      expect((await del(owner, `${path}/members/${owner.id}`)).status).toBe(204);
      expectError(await del(admin, `${path}/members/${admin.id}`), 409, 'last_admin');
    });

    it.each(['admin', 'member'] as const)('answers 403 when a non-owner %s transfers', async (role) => {
      const roles = await team();
      expectError(await post(roles[role], `${roles.path}/transfer`, { userId: roles.admin.id }), 403, 'forbidden');
      expect((await get(owner, roles.path)).body.data.ownerId).toBe(owner.id);
    });

    it('answers 409 target_not_admin for a member, a viewer or a stranger as the new owner', async () => {
      const { member, viewer, path } = await team();
      const stranger = await registerUser(t);
      for (const target of [member, viewer, stranger]) {
        expectError(await post(owner, `${path}/transfer`, { userId: target.id }), 409, 'target_not_admin');
      }
      expectError(await post(owner, `${path}/transfer`, { userId: owner.id }), 409, 'already_owner');
      expectError(await post(owner, `${path}/transfer`, { userId: 'someone' }), 400, 'validation_failed');
      expect((await get(owner, path)).body.data.ownerId).toBe(owner.id);
    });
  });
});

describe('the last-admin check under concurrency, on postgres', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ backend: 'postgres' });
  });
  afterAll(() => t?.close());

  /** Resolves once `count` sessions on this test's database wait for a lock. */
  async function waitForLockWaiters(count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const row = await t.services.db.raw(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      if (row.rows[0].n >= count) return;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} sessions waiting for a lock`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('counts admins under the workspace lock: of the two last admins leaving at once, one gets 409 last_admin', async () => {
    const owner = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Two admins');
    const [first, second] = [await registerUser(t), await registerUser(t)];
    await addWorkspaceMember(t, workspace.id, first, 'admin');
    await addWorkspaceMember(t, workspace.id, second, 'admin');
    // Only possible when the owner is not an admin, which the API never allows: set up in the database.
    await t.services.db('workspace_members').where({ workspace_id: workspace.id, user_id: owner.id }).update({ role: 'member' });

    // Hold both membership rows so that both requests are in flight at once: without the workspace lock
    // each would count two admins before either deletion lands, and both would leave.
    const blocker = await t.services.db.transaction();
    await blocker('workspace_members').where({ workspace_id: workspace.id }).whereIn('user_id', [first.id, second.id]).forUpdate();
    const path = `/api/workspace/${workspace.id}/members`;
    const leaving = Promise.all([
      t.request.delete(`${path}/${first.id}`).set(bearer(first)),
      t.request.delete(`${path}/${second.id}`).set(bearer(second)),
    ]);
    await waitForLockWaiters(2);
    await blocker.commit();
    const results = await leaving;

    expect(results.map((res) => res.status).sort()).toEqual([204, 409]);
    expect(results.find((res) => res.status === 409)!.body.error.code).toBe('last_admin');
    const admins = await t.services.db('workspace_members').where({ workspace_id: workspace.id, role: 'admin' }).pluck('user_id');
    expect(admins).toHaveLength(1);
  });
});

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signShareToken } from '@shared/auth.ts';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { startTestApp, type TestApp } from '../../test/http.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../test/factories.ts';
import { acknowledged, startTestCollab, waitFor, type TestCollab, type TestProvider } from '../../test/collab.ts';

/** Resolves once the provider has seen a close with this reason; fails after `withinMs`. */
const closedWith = (client: TestProvider, reason: string, withinMs = 1_000) =>
  waitFor(`a close with reason ${reason}`, () => client.closes.includes(reason), withinMs);
/** Resolves once the provider's latest authentication answer is `expected`. */
const answeredWith = (client: TestProvider, expected: object, withinMs = 5_000) =>
  waitFor(`the answer ${JSON.stringify(expected)}`, () => JSON.stringify(client.outcomes.at(-1)) === JSON.stringify(expected), withinMs);

/**
 * Holds the first load of one document on a node until released, the way a slow database would: what
 * the connection was told at authentication may have changed by the time it is attached.
 */
function holdLoad(node: TestCollab, documentName: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markEntered!: () => void;
  const entered = new Promise<void>((resolve) => (markEntered = resolve));
  let held = false;
  node.server.hocuspocus.configuration.extensions.push({
    async onLoadDocument({ documentName: loading }: { documentName: string }) {
      if (loading !== documentName || held) return;
      held = true;
      markEntered();
      await released;
    },
  });
  return { entered, release };
}

describe('collab connections end when access ends', () => {
  let t: TestApp;
  let nodeA: TestCollab;
  let nodeB: TestCollab;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { COLLAB_STORE_DEBOUNCE_MS: '60000', COLLAB_STORE_MAX_DEBOUNCE_MS: '120000' } });
    [nodeA, nodeB] = await Promise.all([startTestCollab(t), startTestCollab(t)]);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await t?.close();
  });

  async function shareToken(conversationId: string, permission: 'read' | 'edit') {
    const id = crypto.randomBytes(18).toString('base64url');
    await t.services.db('shares').insert({ id, conversation_id: conversationId, created_by: owner.id, permission });
    return { id, token: signShareToken(t.services.tokens, { shareId: id, conversationId, permission }, new Date(Date.now() + 3_600_000)) };
  }

  it('closes a revoked share’s connections on every node within a second, and only those', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const share = await shareToken(id, 'edit');
    const guests = [nodeA.connect(name, share.token), nodeB.connect(name, share.token)];
    const ownerClient = nodeA.connect(name, owner.accessToken);
    await Promise.all([...guests, ownerClient].map((client) => client.synced));

    // What revoking through the REST API does: mark the share revoked, then publish after the commit.
    await t.services.db('shares').where({ id: share.id }).update({ revoked_at: new Date() });
    await t.services.bus.publish('share.revoked', { shareId: share.id, conversationId: id });
    await Promise.all(guests.map((guest) => closedWith(guest, 'share_revoked')));
    // The provider reconnects by itself and learns the share is over.
    await Promise.all(guests.map((guest) => answeredWith(guest, { status: 'refused', reason: 'not_found' })));
    expect(ownerClient.closes).toEqual([]);
    ownerClient.doc.getText('title').insert(0, 'still editing');
    await acknowledged(ownerClient.provider);
  });

  it('closes everything on a deleted conversation within a second and unloads it without storing', async () => {
    const { id } = await createConversation(t, owner);
    const name = `conversation:${id}`;
    const clients = [nodeA.connect(name, owner.accessToken), nodeB.connect(name, (await shareToken(id, 'read')).token)];
    await Promise.all(clients.map((client) => client.synced));
    clients[0]!.doc.getText('title').insert(0, 'about to go');
    await acknowledged(clients[0]!.provider);

    expect((await t.request.delete(`/api/conversations/${id}`).set(bearer(owner))).status).toBe(204);
    await Promise.all(clients.map((client) => closedWith(client, 'conversation_deleted')));
    await waitFor(
      'both nodes to unload the document',
      () => !nodeA.server.hocuspocus.documents.has(name) && !nodeB.server.hocuspocus.documents.has(name),
      3_000,
    );
    expect(await t.services.db('conversation_states').where({ conversation_id: id }).first()).toBeUndefined();
    await answeredWith(clients[0]!, { status: 'refused', reason: 'not_found' });
  });

  it('reaches the document whatever case the REST call spelled its id in', async () => {
    const { id } = await createConversation(t, owner);
    const client = nodeA.connect(`conversation:${id}`, owner.accessToken);
    await client.synced;

    const posted = await t.request
      .post(`/api/conversations/${id.toUpperCase()}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'shouted id' });
    expect(posted.status).toBe(201);
    expect(posted.body.data.conversationId).toBe(id);
    await waitFor('the message in the open document', () =>
      listDocumentMessages(client.doc).some((message) => message.id === posted.body.data.id),
    );
    expect((await t.request.delete(`/api/conversations/${id.toUpperCase()}`).set(bearer(owner))).status).toBe(204);
    await closedWith(client, 'conversation_deleted');
  });

  describe('in a workspace', () => {
    let workspaceId: string;
    let member: TestUser;

    beforeAll(async () => {
      workspaceId = (await createWorkspace(t, owner)).id;
    });

    it('closes a removed member’s connections to the workspace’s documents, not to their own', async () => {
      member = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, member, 'member');
      const team = `conversation:${(await createWorkspaceConversation(t, owner, workspaceId)).id}`;
      const own = `conversation:${(await createConversation(t, member)).id}`;
      const [teamClient, ownClient] = [nodeB.connect(team, member.accessToken), nodeB.connect(own, member.accessToken)];
      await Promise.all([teamClient.synced, ownClient.synced]);

      expect((await t.request.delete(`/api/workspace/${workspaceId}/members/${member.id}`).set(bearer(owner))).status).toBe(204);
      await closedWith(teamClient, 'access_revoked');
      await answeredWith(teamClient, { status: 'refused', reason: 'not_found' });
      expect(ownClient.closes).toEqual([]);
    });

    it('closes a removed member’s connections when the removal spells the ids in upper case', async () => {
      member = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, member, 'member');
      const team = `conversation:${(await createWorkspaceConversation(t, owner, workspaceId)).id}`;
      const teamClient = nodeA.connect(team, member.accessToken);
      await teamClient.synced;

      const path = `/api/workspace/${workspaceId.toUpperCase()}/members/${member.id.toUpperCase()}`;
      expect((await t.request.delete(path).set(bearer(owner))).status).toBe(204);
      await closedWith(teamClient, 'access_revoked');
    });

    it('closes a connection whose access ended while its document was still loading', async () => {
      member = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, member, 'member');
      const team = `conversation:${(await createWorkspaceConversation(t, owner, workspaceId)).id}`;
      // Holds the document's load: the member is authenticated, but not yet attached to the document.
      const load = holdLoad(nodeA, team);
      const client = nodeA.connect(team, member.accessToken);
      await load.entered;

      expect((await t.request.delete(`/api/workspace/${workspaceId}/members/${member.id}`).set(bearer(owner))).status).toBe(204);
      load.release();
      await closedWith(client, 'access_revoked', 2_000);
      await answeredWith(client, { status: 'refused', reason: 'not_found' });
    });

    it('reconnects a member whose role changes with the new scope', async () => {
      member = await registerUser(t);
      await addWorkspaceMember(t, workspaceId, member, 'member');
      const team = `conversation:${(await createWorkspaceConversation(t, owner, workspaceId)).id}`;
      const client = nodeA.connect(team, member.accessToken);
      await expect(client.outcome).resolves.toEqual({ status: 'authenticated', scope: 'read-write' });
      // Authenticated is not yet attached to the document: a role change in between would find no connection.
      await client.synced;

      expect(
        (await t.request.patch(`/api/workspace/${workspaceId}/members/${member.id}`).set(bearer(owner)).send({ role: 'viewer' })).status,
      ).toBe(200);
      await closedWith(client, 'access_changed');
      await answeredWith(client, { status: 'authenticated', scope: 'readonly' });

      expect(
        (await t.request.patch(`/api/workspace/${workspaceId}/members/${member.id}`).set(bearer(owner)).send({ role: 'admin' })).status,
      ).toBe(200);
      await answeredWith(client, { status: 'authenticated', scope: 'read-write' });
    });
  });

  it('closes every connection of a user whose sessions were revoked and refuses their older tokens', async () => {
    const user = await registerUser(t);
    const conversations = await Promise.all([createConversation(t, user), createConversation(t, user)]);
    const clients = [
      nodeA.connect(`conversation:${conversations[0].id}`, user.accessToken),
      nodeB.connect(`conversation:${conversations[1].id}`, user.accessToken),
    ];
    await Promise.all(clients.map((client) => client.synced));

    // Using a refresh token twice means it was copied: the API ends every session of the user.
    expect((await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(200);
    expect((await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
    await Promise.all(clients.map((client) => closedWith(client, 'session_revoked')));
    await Promise.all(clients.map((client) => answeredWith(client, { status: 'refused', reason: 'session_revoked' })));

    // Signing in again at once gives a token the collab server takes.
    const login = await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    await expect(nodeA.connect(`conversation:${conversations[0].id}`, login.body.data.accessToken).outcome).resolves.toEqual({
      status: 'authenticated',
      scope: 'read-write',
    });
  });

  it('keeps a connection made right after signing out everywhere open when the event arrives late', async () => {
    const user = await registerUser(t);
    const { id } = await createConversation(t, user);
    expect((await t.request.post('/api/auth/logout-all').set(bearer(user))).status).toBe(204);
    const login = await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
    const client = nodeA.connect(`conversation:${id}`, login.body.data.accessToken);
    await client.synced;
    // The same event once more, as a node that heard it late would deliver it: the new session is not its target.
    const row = await t.services.db('users').where({ id: user.id }).first('session_generation', 'sessions_revoked_at');
    await t.services.bus.publish('user.sessions_revoked', {
      userId: user.id,
      generation: row.session_generation,
      revokedAt: row.sessions_revoked_at.toISOString(),
    });
    client.doc.getText('title').insert(0, 'still here');
    await acknowledged(client.provider);
    expect(client.closes).toEqual([]);
  });
});

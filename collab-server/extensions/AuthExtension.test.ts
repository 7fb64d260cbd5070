import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { MessageType } from '@hocuspocus/provider';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../../test/http.ts';
import { createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';
import { signShareToken } from '@shared/auth.ts';
import { createDb } from '@shared/db.ts';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('collab authentication', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;
  let stranger: TestUser;
  let documentName: string;

  beforeAll(async () => {
    t = await startTestApp();
    collab = await startTestCollab(t);
    owner = await registerUser(t);
    stranger = await registerUser(t);
    documentName = `conversation:${(await createConversation(t, owner)).id}`;
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  it('lets the owner connect read-write and sync', async () => {
    const { outcome, synced } = collab.connect(documentName, owner.accessToken);
    await expect(outcome).resolves.toEqual({ status: 'authenticated', scope: 'read-write' });
    await synced;
  });

  it('carries an edit from one of the owner’s providers to another', async () => {
    const first = collab.connect(documentName, owner.accessToken);
    const second = collab.connect(documentName, owner.accessToken);
    await Promise.all([first.synced, second.synced]);
    first.doc.getText('title').insert(0, 'Plan for Tuesday');
    await waitFor('the edit to reach the second provider', () => second.doc.getText('title').toString() === 'Plan for Tuesday');
  });

  it('passes the actor and conversation to later hooks as context', async () => {
    const { synced } = collab.connect(documentName, owner.accessToken);
    await synced;
    const document = collab.server.hocuspocus.documents.get(documentName);
    const contexts = [...(document?.connections.keys() ?? [])].map((connection) => connection.context);
    expect(contexts).toContainEqual(
      expect.objectContaining({ actor: { type: 'user', id: owner.id }, conversationId: documentName.slice('conversation:'.length) }),
    );
  });

  describe('in a workspace', () => {
    let admin: TestUser;
    let viewer: TestUser;
    let member: TestUser;
    let teamDocument: string;

    beforeAll(async () => {
      [admin, viewer, member] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      teamDocument = `conversation:${await workspaceConversation(t, admin, { [viewer.id]: 'viewer', [member.id]: 'member' })}`;
    });

    it('gives a workspace member a read-write connection', async () => {
      await expect(collab.connect(teamDocument, member.accessToken).outcome).resolves.toEqual({
        status: 'authenticated',
        scope: 'read-write',
      });
    });

    it('gives a workspace viewer a read-only connection that receives edits and cannot make them', async () => {
      const writer = collab.connect(teamDocument, admin.accessToken);
      const reader = collab.connect(teamDocument, viewer.accessToken);
      await expect(reader.outcome).resolves.toEqual({ status: 'authenticated', scope: 'readonly' });
      await Promise.all([writer.synced, reader.synced]);

      writer.doc.getText('title').insert(0, 'Team plan');
      await waitFor('the admin’s edit to reach the viewer', () => reader.doc.getText('title').toString() === 'Team plan');

      // The server answers every update with a sync status, so once one arrives the edit has been judged.
      const judged = new Promise<void>((resolve) =>
        reader.provider.on('message', ({ message }: { message: { readVarString(): string; readVarUint(): number } }) => {
          message.readVarString();
          const type: MessageType = message.readVarUint();
          if (type === MessageType.SyncStatus) resolve();
        }),
      );
      reader.doc.getText('title').insert(0, 'Hijacked: ');
      await judged;
      expect(collab.server.hocuspocus.documents.get(teamDocument)?.getText('title').toString()).toBe('Team plan');
      expect(writer.doc.getText('title').toString()).toBe('Team plan');
    });

    it('refuses users outside the workspace, and a member as soon as they are removed', async () => {
      await expect(collab.connect(teamDocument, stranger.accessToken).outcome).resolves.toEqual({ status: 'refused', reason: 'not_found' });
      await t.services.db('workspace_members').where({ user_id: member.id }).delete();
      await expect(collab.connect(teamDocument, member.accessToken).outcome).resolves.toEqual({ status: 'refused', reason: 'not_found' });
    });
  });

  describe('with a share link token', () => {
    const HOUR = 3_600_000;
    /** A share row written straight to the table, and the token the public view would hand out for it. */
    async function shareToken(
      permission: 'read' | 'comment' | 'edit',
      changes: Record<string, unknown> = {},
      conversationId = documentName.slice(13),
    ) {
      const id = crypto.randomBytes(18).toString('base64url');
      await t.services.db('shares').insert({ id, conversation_id: conversationId, created_by: owner.id, permission, ...changes });
      return signShareToken(t.services.tokens, { shareId: id, conversationId, permission }, new Date(Date.now() + HOUR));
    }

    it('opens an edit share read-write and a read or comment share read-only', async () => {
      await expect(collab.connect(documentName, await shareToken('edit')).outcome).resolves.toEqual({
        status: 'authenticated',
        scope: 'read-write',
      });
      await expect(collab.connect(documentName, await shareToken('read')).outcome).resolves.toEqual({
        status: 'authenticated',
        scope: 'readonly',
      });
      await expect(collab.connect(documentName, await shareToken('comment')).outcome).resolves.toEqual({
        status: 'authenticated',
        scope: 'readonly',
      });
    });

    it('refuses a share token once its share is revoked or expired, whatever the token says', async () => {
      const revoked = await shareToken('edit', { revoked_at: new Date() });
      await expect(collab.connect(documentName, revoked).outcome).resolves.toEqual({ status: 'refused', reason: 'not_found' });
      const expired = await shareToken('edit', { expires_at: new Date(Date.now() - 1000) });
      await expect(collab.connect(documentName, expired).outcome).resolves.toEqual({ status: 'refused', reason: 'not_found' });
    });

    it('refuses a share token for another conversation', async () => {
      const other = await createConversation(t, owner, 'Another one');
      const token = await shareToken('edit', {}, other.id);
      await expect(collab.connect(documentName, token).outcome).resolves.toEqual({ status: 'refused', reason: 'not_found' });
    });
  });

  const refusals: Array<{ what: string; reason: string; input: () => { name: string; token: string | null } }> = [
    { what: 'no token', reason: 'unauthenticated', input: () => ({ name: documentName, token: null }) },
    { what: 'an expired token', reason: 'token_expired', input: () => ({ name: documentName, token: expiredToken(owner.id) }) },
    {
      what: 'a token signed with another secret',
      reason: 'token_invalid',
      input: () => ({ name: documentName, token: foreignToken(owner.id) }),
    },
    {
      what: 'a tampered token',
      reason: 'token_invalid',
      input: () => ({ name: documentName, token: tamperedToken(stranger.accessToken, owner.id) }),
    },
    { what: 'an alg:none token', reason: 'token_invalid', input: () => ({ name: documentName, token: unsignedToken(owner.id) }) },
    {
      what: 'a well-signed token of a user that does not exist',
      reason: 'token_invalid',
      input: () => ({ name: documentName, token: signedToken(crypto.randomUUID()) }),
    },
    {
      what: 'a token issued an hour in the future',
      reason: 'token_invalid',
      input: () => ({ name: documentName, token: signedToken(owner.id, 3_600) }),
    },
    { what: 'another user’s token', reason: 'not_found', input: () => ({ name: documentName, token: stranger.accessToken }) },
    {
      what: 'a name that is not a conversation',
      reason: 'invalid_document_name',
      input: () => ({ name: 'foo', token: owner.accessToken }),
    },
    {
      what: 'a conversation id that is not a uuid',
      reason: 'invalid_document_name',
      input: () => ({ name: 'conversation:not-a-uuid', token: owner.accessToken }),
    },
    {
      what: 'the owner’s conversation id in upper case',
      reason: 'invalid_document_name',
      input: () => ({ name: documentName.replace(/[0-9a-f-]+$/, (id) => id.toUpperCase()), token: owner.accessToken }),
    },
    {
      what: 'the owner’s conversation id in mixed case',
      reason: 'invalid_document_name',
      input: () => ({ name: documentName.replace(/[a-f]/, (c) => c.toUpperCase()), token: owner.accessToken }),
    },
    {
      what: 'a conversation that does not exist',
      reason: 'not_found',
      input: () => ({ name: `conversation:${crypto.randomUUID()}`, token: owner.accessToken }),
    },
  ];

  it.each(refusals)('refuses $what with reason $reason', async ({ reason, input }) => {
    const { name, token } = input();
    const connectionsBefore = collab.server.hocuspocus.getConnectionsCount();
    const { outcome } = collab.connect(name, token);
    await expect(outcome).resolves.toEqual({ status: 'refused', reason });
    expect(collab.server.hocuspocus.getConnectionsCount()).toBe(connectionsBefore);
    if (name !== documentName) expect(collab.server.hocuspocus.documents.has(name)).toBe(false);
  });

  it('refuses with database_failover, a reason to connect again, when the database cannot be reached', async () => {
    // Nothing listens on port 1: every connection is refused, as during a failover before the new primary is found.
    const unreachable = createDb({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      DATABASE_POOL_MAX: 1,
      DATA_DIR: t.services.config.DATA_DIR,
    });
    const cutOff = await startTestCollab({ services: { ...t.services, db: unreachable } });
    try {
      const { outcome } = cutOff.connect(documentName, owner.accessToken);
      await expect(outcome).resolves.toEqual({ status: 'refused', reason: 'database_failover' });
    } finally {
      await cutOff.close();
      await unreachable.destroy();
    }
  });

  it('counts refusals by reason in the metrics', async () => {
    const res = await fetch(`${collab.httpUrl}/metrics`);
    expect(await res.text()).toMatch(/collab_connections_refused_total\{reason="token_expired",server="collab-server"\} [1-9]/);
  });
});

/**
 * A conversation in a new workspace owned (as admin) by `owner`, with the given members. Written
 * straight to the tables: the workspace API is not what these tests are about.
 */
async function workspaceConversation(t: TestApp, owner: TestUser, roles: Record<string, 'admin' | 'member' | 'viewer'>): Promise<string> {
  const db = t.services.db;
  const [workspace] = await db('workspaces')
    .insert({ name: 'Team', slug: `team-${crypto.randomBytes(4).toString('hex')}`, owner_id: owner.id })
    .returning('id');
  const members = Object.entries({ [owner.id]: 'admin', ...roles }).map(([userId, role]) => ({
    workspace_id: workspace.id,
    user_id: userId,
    role,
  }));
  await db('workspace_members').insert(members);
  const [conversation] = await db('conversations')
    .insert({ owner_id: owner.id, workspace_id: workspace.id, title: 'Team plan' })
    .returning('id');
  return conversation.id as string;
}

/** A well-formed access token for the user, issued `issuedIn` seconds from now. */
function signedToken(userId: string, issuedIn = 0): string {
  const iat = Math.floor(Date.now() / 1000) + issuedIn;
  return jwt.sign({ typ: 'access', gen: 0, sub: userId, iss: 'twinmcp', iat, exp: iat + 600 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
}

/** A well-formed access token for the user whose `exp` is a minute in the past. */
function expiredToken(userId: string): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ typ: 'access', sub: userId, iss: 'twinmcp', iat: now - 120, exp: now - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
}

/** A well-formed token for the user, signed with a secret that is not ours. */
function foreignToken(userId: string): string {
  return jwt.sign({ typ: 'access' }, 'another-secret-that-is-long-enough-0123456789', {
    algorithm: 'HS256',
    subject: userId,
    issuer: 'twinmcp',
    expiresIn: 600,
  });
}

/** A real token whose payload is swapped for another user's, keeping the original signature. */
function tamperedToken(token: string, userId: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  return [header, base64url({ ...claims, sub: userId }), signature].join('.');
}

/** An unsigned token (`alg: none`) claiming to be the user. */
function unsignedToken(userId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { typ: 'access', sub: userId, iss: 'twinmcp', iat: now, exp: now + 600 };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

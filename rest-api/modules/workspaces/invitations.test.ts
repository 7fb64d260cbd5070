import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import {
  addWorkspaceMember,
  bearer,
  captureLogs,
  createWorkspace,
  invitationTokenIn,
  registerUser,
  startSmtpServer,
  type TestSmtpServer,
  type TestUser,
} from '../../../test/factories.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';
import { waitUntil } from '../../../test/jobs.ts';

const APP_URL = 'https://app.example.test';
const INVITATION_FIELDS = ['createdAt', 'email', 'emailStatus', 'expiresAt', 'id', 'invitedBy', 'role', 'status', 'workspaceId'];

const uniqueEmail = (label: string) => `${label}-${crypto.randomBytes(4).toString('hex')}@example.com`;

describe.each(['postgres', 'pglite'] as const)('invitations on %s, delivered by SMTP', (backend) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let owner: TestUser;
  const logs = captureLogs();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ backend, log: logs.log, env: { SMTP_URL: smtp.url, APP_URL, EMAIL_FROM: 'Team <team@example.test>' } });
    owner = await registerUser(t, { name: 'Olive Owner' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const { get, post } = requestsAs(() => t);
  const accept = (user: TestUser, token: string) => post(user, '/api/workspace/invitations/accept', { token });
  const auditActions = async (workspaceId: string) =>
    await t.services
      .db('audit_log')
      .where({ subject_type: 'workspace', subject_id: workspaceId })
      .orderBy('id')
      .select('action', 'actor_id', 'data');

  /** The emails to this address, once there are `count` of them: a job sends each after its request has answered. */
  async function mailsTo(address: string, count: number) {
    await waitUntil(`${count} emails to ${address}`, () => smtp.mailsTo(address).length >= count);
    const mails = smtp.mailsTo(address);
    expect(mails).toHaveLength(count);
    return mails;
  }
  const outboxSize = async () => Number((await t.services.db('email_outbox').count({ n: '*' }))[0]!.n);

  /** Invites the address as the owner and returns the invitation and the token from the email that arrived. */
  async function invite(workspaceId: string, email: string, role = 'member') {
    const before = smtp.mailsTo(email).length;
    const res = await post(owner, `/api/workspace/${workspaceId}/invitations`, { email, role });
    expect(res.status).toBe(201);
    const mails = await mailsTo(email, before + 1);
    return { invitation: res.body.data, token: invitationTokenIn(mails.at(-1)!.mail.text), mail: mails.at(-1)!.mail };
  }

  it('emails a link that the invited person, signed up with the address in another case, accepts to join', async () => {
    const workspace = await createWorkspace(t, owner, 'R&D <Lab> "North"');
    const res = await post(owner, `/api/workspace/${workspace.id}/invitations`, { email: 'Dana.Invitee@Example.COM', role: 'member' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data).sort()).toEqual(INVITATION_FIELDS);
    expect(res.body.data).toMatchObject({
      workspaceId: workspace.id,
      email: 'Dana.Invitee@Example.COM',
      role: 'member',
      status: 'pending',
      invitedBy: owner.id,
      emailStatus: 'queued',
    });
    const days = (Date.parse(res.body.data.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);

    const [received] = await mailsTo('dana.invitee@example.com', 1);
    // The job marks the email sent just after the SMTP server took it; the invitation then says so.
    await waitUntil(
      'the invitation to show its email sent',
      async () => (await get(owner, `/api/workspace/${workspace.id}/invitations`)).body.data[0]?.emailStatus === 'sent',
    );
    const { mail } = received!;
    expect(mail.subject).toBe('Join R&D <Lab> "North" on TwinMCP');
    expect(mail.from?.text).toBe('"Team" <team@example.test>');
    expect(mail.text).toContain('Olive Owner invited you to join the workspace "R&D <Lab> "North"" on TwinMCP as member.');
    const token = invitationTokenIn(mail.text);
    expect(mail.text).toContain(`${APP_URL}/invite?token=${token}`);
    expect(mail.html).toContain('R&amp;D &lt;Lab&gt; &quot;North&quot;');
    expect(mail.html).not.toContain('<Lab>');
    expect(mail.html).toContain(`href="${APP_URL}/invite?token=${token}"`);

    const row = await t.services.db('workspace_invitations').where({ id: res.body.data.id }).first();
    expect(row.token_hash).toBe(crypto.createHash('sha256').update(token).digest('base64url'));
    expect(JSON.stringify(row)).not.toContain(token);

    const dana = await registerUser(t, { email: 'dana.invitee@example.com' });
    const accepted = await accept(dana, token);
    expect(accepted.status).toBe(200);
    expect(accepted.body.data).toMatchObject({ id: workspace.id, name: 'R&D <Lab> "North"', role: 'member', ownerId: owner.id });
    const members = await get(dana, `/api/workspace/${workspace.id}/members`);
    expect(members.body.data.find((m: { userId: string }) => m.userId === dana.id)).toMatchObject({ role: 'member', isOwner: false });
    expect((await get(dana, '/api/workspace')).body.data.map((w: { id: string }) => w.id)).toEqual([workspace.id]);
    const spent = await t.services.db('workspace_invitations').where({ id: res.body.data.id }).first();
    expect(spent).toMatchObject({ accepted_by: dana.id, accepted_at: expect.any(Date) });

    expect(await auditActions(workspace.id)).toEqual([
      { action: 'workspace.created', actor_id: owner.id, data: expect.any(Object) },
      {
        action: 'invitation.created',
        actor_id: owner.id,
        data: { invitationId: res.body.data.id, email: 'Dana.Invitee@Example.COM', role: 'member' },
      },
      { action: 'invitation.accepted', actor_id: dana.id, data: { invitationId: res.body.data.id, role: 'member' } },
    ]);
    // With SMTP configured the link travels only by email: no log line carries it.
    expect(logs.lines.join('\n')).toContain('email sent');
    expect(logs.lines.join('\n')).not.toContain(token);
  });

  it('answers 404 to a second acceptance, an expired, a revoked and an unknown token, all alike', async () => {
    const workspace = await createWorkspace(t, owner, 'Once');
    const user = await registerUser(t, { email: uniqueEmail('once') });
    const used = await invite(workspace.id, user.email);
    expect((await accept(user, used.token)).status).toBe(200);
    const twice = await accept(user, used.token);

    const late = await registerUser(t, { email: uniqueEmail('late') });
    const expired = await invite(workspace.id, late.email);
    await t.services
      .db('workspace_invitations')
      .where({ id: expired.invitation.id })
      .update({ expires_at: t.services.db.raw("now() - interval '1 minute'") });
    const afterExpiry = await accept(late, expired.token);

    const revokedUser = await registerUser(t, { email: uniqueEmail('revoked') });
    const revoked = await invite(workspace.id, revokedUser.email);
    expect((await t.request.delete(`/api/workspace/${workspace.id}/invitations/${revoked.invitation.id}`).set(bearer(owner))).status).toBe(
      204,
    );
    const afterRevoke = await accept(revokedUser, revoked.token);

    const unknown = await accept(late, crypto.randomBytes(32).toString('base64url'));
    for (const res of [twice, afterExpiry, afterRevoke, unknown]) {
      expectError(res, 404, 'not_found');
      expect(res.body).toEqual(unknown.body);
    }
    for (const user of [late, revokedUser]) expectError(await get(user, `/api/workspace/${workspace.id}`), 404, 'not_found');
    const actions = (await auditActions(workspace.id)).map((row) => row.action);
    expect(actions.filter((action) => action === 'invitation.accepted')).toHaveLength(1);
    expect(actions).toContain('invitation.revoked');
  });

  it('answers 403 email_mismatch to a signed-in user with another address, and the invitation stays usable', async () => {
    const workspace = await createWorkspace(t, owner, 'Mismatch');
    const invited = uniqueEmail('right');
    const { token } = await invite(workspace.id, invited, 'viewer');
    const wrong = await registerUser(t, { email: uniqueEmail('wrong') });
    const res = await accept(wrong, token);
    expectError(res, 403, 'email_mismatch');
    expect(JSON.stringify(res.body)).not.toContain(invited);
    expectError(await get(wrong, `/api/workspace/${workspace.id}`), 404, 'not_found');

    const right = await registerUser(t, { email: invited });
    expect((await accept(right, token)).body.data.role).toBe('viewer');
  });

  it('answers 409 already_member when the accepting user joined meanwhile, keeping their role', async () => {
    const workspace = await createWorkspace(t, owner, 'Joined');
    const user = await registerUser(t, { email: uniqueEmail('joined') });
    const { token } = await invite(workspace.id, user.email, 'admin');
    await addWorkspaceMember(t, workspace.id, user, 'viewer');
    expectError(await accept(user, token), 409, 'already_member');
    expect((await get(user, `/api/workspace/${workspace.id}`)).body.data.role).toBe('viewer');
  });

  it('resends with a new link and a new 7-day expiry; the old link stops working', async () => {
    const workspace = await createWorkspace(t, owner, 'Resend');
    const user = await registerUser(t, { email: uniqueEmail('resend') });
    const first = await invite(workspace.id, user.email);
    await t.services
      .db('workspace_invitations')
      .where({ id: first.invitation.id })
      .update({ expires_at: t.services.db.raw("now() - interval '1 day'") });
    const listed = await get(owner, `/api/workspace/${workspace.id}/invitations`);
    expect(listed.body.data.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[first.invitation.id, 'expired']]);

    const res = await post(owner, `/api/workspace/${workspace.id}/invitations/${first.invitation.id}/resend`, {});
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: first.invitation.id, status: 'pending' });
    expect(Date.parse(res.body.data.expiresAt) - Date.now()).toBeGreaterThan(6.99 * 86_400_000);
    const second = invitationTokenIn((await mailsTo(user.email, 2)).at(-1)!.mail.text);
    expect(second).not.toBe(first.token);

    expectError(await accept(user, first.token), 404, 'not_found');
    expect((await accept(user, second)).status).toBe(200);
    expectError(await post(owner, `/api/workspace/${workspace.id}/invitations/${first.invitation.id}/resend`, {}), 404, 'not_found');
    expect((await auditActions(workspace.id)).map((row) => row.action)).toEqual([
      'workspace.created',
      'invitation.created',
      'invitation.resent',
      'invitation.accepted',
    ]);
  });

  it('renews the open invitation when the same address is invited again, with the new role', async () => {
    const workspace = await createWorkspace(t, owner, 'Again');
    const email = uniqueEmail('again');
    const first = await invite(workspace.id, email, 'viewer');
    const second = await invite(workspace.id, email.toUpperCase(), 'admin');
    expect(second.invitation.id).toBe(first.invitation.id);
    const user = await registerUser(t, { email });
    expectError(await accept(user, first.token), 404, 'not_found');
    expect((await accept(user, second.token)).body.data.role).toBe('admin');
  });

  it('lists open invitations to admins only, never with a token or its hash', async () => {
    const { id } = await createWorkspace(t, owner, 'Listing');
    const member = await registerUser(t);
    await addWorkspaceMember(t, id, member, 'member');
    const invited = [uniqueEmail('b'), uniqueEmail('a')];
    const tokens = [(await invite(id, invited[0]!)).token, (await invite(id, invited[1]!)).token];

    const res = await get(owner, `/api/workspace/${id}/invitations`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((i: { email: string }) => i.email)).toEqual([...invited].sort());
    for (const item of res.body.data) expect(Object.keys(item).sort()).toEqual(INVITATION_FIELDS);
    const hashes = await t.services.db('workspace_invitations').where({ workspace_id: id }).pluck('token_hash');
    for (const secret of [...tokens, ...hashes]) expect(res.text).not.toContain(secret);

    expectError(await get(member, `/api/workspace/${id}/invitations`), 403, 'forbidden');
  });

  it.each([
    ['a member', 'member'],
    ['a viewer', 'viewer'],
  ] as const)('answers 403 when %s invites, resends or revokes, and sends nothing', async (_name, role) => {
    const { id } = await createWorkspace(t, owner, 'Admins only');
    const user = await registerUser(t);
    await addWorkspaceMember(t, id, user, role);
    const { invitation } = await invite(id, uniqueEmail('target'));
    const [sent, queued] = [smtp.received.length, await outboxSize()];
    expectError(await post(user, `/api/workspace/${id}/invitations`, { email: uniqueEmail('x'), role: 'member' }), 403, 'forbidden');
    expectError(await post(user, `/api/workspace/${id}/invitations/${invitation.id}/resend`, {}), 403, 'forbidden');
    expectError(await t.request.delete(`/api/workspace/${id}/invitations/${invitation.id}`).set(bearer(user)), 403, 'forbidden');
    // Nothing queued (the outbox row and its job commit together), so nothing will be sent later either.
    expect(await outboxSize()).toBe(queued);
    expect(smtp.received.length).toBe(sent);
  });

  it('answers 409 already_member for the address of a member, in any case, and sends nothing', async () => {
    const { id } = await createWorkspace(t, owner, 'Members');
    const member = await registerUser(t, { email: uniqueEmail('member') });
    await addWorkspaceMember(t, id, member, 'viewer');
    const [sent, queued] = [smtp.received.length, await outboxSize()];
    expectError(
      await post(owner, `/api/workspace/${id}/invitations`, { email: member.email.toUpperCase(), role: 'admin' }),
      409,
      'already_member',
    );
    expectError(await post(owner, `/api/workspace/${id}/invitations`, { email: owner.email, role: 'admin' }), 409, 'already_member');
    expect(await outboxSize()).toBe(queued);
    expect(smtp.received.length).toBe(sent);
    expect(await t.services.db('workspace_invitations').where({ workspace_id: id })).toEqual([]);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', role: 'member' }, 'email'],
    ['a missing email', { role: 'member' }, 'email'],
    ['an unknown role', { email: 'x@example.com', role: 'owner' }, 'role'],
    ['an unknown field', { email: 'x@example.com', role: 'member', token: 'mine' }, 'token'],
  ])('answers 400 for %s and invites nobody', async (_case, body, field) => {
    const { id } = await createWorkspace(t, owner, 'Bad input');
    const res = await post(owner, `/api/workspace/${id}/invitations`, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.fields).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
    expect(await t.services.db('workspace_invitations').where({ workspace_id: id })).toEqual([]);
  });

  it('answers 400 for an accept without a token, 404 for revoking an unknown invitation, and 401 when signed out', async () => {
    const { id } = await createWorkspace(t, owner, 'Edges');
    expectError(await post(owner, '/api/workspace/invitations/accept', {}), 400, 'validation_failed');
    expectError(await t.request.delete(`/api/workspace/${id}/invitations/${crypto.randomUUID()}`).set(bearer(owner)), 404, 'not_found');
    expectError(await t.request.post('/api/workspace/invitations/accept').send({ token: 'x' }), 401, 'unauthenticated');
  });
});

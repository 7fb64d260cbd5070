import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import {
  bearer, captureLogs, createWorkspace, invitationTokenIn, registerUser, startSmtpServer, type TestSmtpServer, type TestUser,
} from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';

const APP_URL = 'https://app.example.test';

const uniqueEmail = (label: string) => `${label}-${crypto.randomBytes(4).toString('hex')}@example.com`;

describe('invitations without SMTP_URL (the embedded default)', () => {
  let t: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    t = await startTestApp({ backend: 'pglite', log: logs.log, env: { APP_URL } });
  });
  afterAll(() => t?.close());

  it('stores the email in email_outbox and logs its link, which then works', async () => {
    const owner = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Offline <Co>');
    const email = uniqueEmail('outbox');
    const res = await t.request.post(`/api/workspace/${workspace.id}/invitations`).set(bearer(owner)).send({ email, role: 'viewer' });
    expect(res.status).toBe(201);

    const outbox = await t.services.db('email_outbox').where({ to: email });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ subject: 'Join Offline <Co> on TwinMCP' });
    expect(outbox[0].html).toContain('Offline &lt;Co&gt;');
    const token = invitationTokenIn(outbox[0].text);
    const logged = logs.lines.map((line) => JSON.parse(line)).find((line) => line.msg?.startsWith('email stored in the outbox'));
    expect(logged).toMatchObject({ level: 30, module: 'email', to: email, link: `${APP_URL}/invite?token=${token}` });

    const invited = await registerUser(t, { email });
    const accepted = await t.request.post('/api/workspace/invitations/accept').set(bearer(invited)).send({ token });
    expect(accepted.status).toBe(200);
    expect(accepted.body.data).toMatchObject({ id: workspace.id, role: 'viewer' });
  });
});

describe('invitation limits and failures', () => {
  let t: TestApp;
  let owner: TestUser;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, RATE_LIMIT_INVITATIONS_PER_WORKSPACE: '2' } });
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const invite = (workspaceId: string, email = uniqueEmail('limit')) =>
    t.request.post(`/api/workspace/${workspaceId}/invitations`).set(bearer(owner)).send({ email, role: 'member' });

  it('answers 429 with Retry-After past RATE_LIMIT_INVITATIONS_PER_WORKSPACE per hour, counting resends, per workspace', async () => {
    const busy = await createWorkspace(t, owner, 'Busy');
    const first = await invite(busy.id);
    expect(first.status).toBe(201);
    expect((await invite(busy.id)).status).toBe(201);
    const limited = await invite(busy.id);
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3000);
    const resend = await t.request.post(`/api/workspace/${busy.id}/invitations/${first.body.data.id}/resend`).set(bearer(owner)).send({});
    expectError(resend, 429, 'rate_limited');
    expect(await t.services.db('workspace_invitations').where({ workspace_id: busy.id })).toHaveLength(2);

    const quiet = await createWorkspace(t, owner, 'Quiet');
    expect((await invite(quiet.id)).status).toBe(201);
  });

  it('answers 502 email_failed when the SMTP server is gone, and keeps no invitation', async () => {
    const down = await startSmtpServer();
    await down.close();
    const broken = await startTestApp({ env: { SMTP_URL: down.url } });
    try {
      const admin = await registerUser(broken);
      const workspace = await createWorkspace(broken, admin, 'Unlucky');
      const res = await broken.request.post(`/api/workspace/${workspace.id}/invitations`).set(bearer(admin)).send({ email: uniqueEmail('lost'), role: 'member' });
      expectError(res, 502, 'email_failed');
      expect(await broken.services.db('workspace_invitations').where({ workspace_id: workspace.id })).toEqual([]);
      const audit = await broken.services.db('audit_log').where({ subject_id: workspace.id }).pluck('action');
      expect(audit).toEqual(['workspace.created']);
    } finally {
      await broken.close();
    }
  });
});

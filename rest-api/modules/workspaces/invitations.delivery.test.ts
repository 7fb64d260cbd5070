import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@shared/config.ts';
import { createServices } from '@shared/services.ts';
import { createApp } from '../../app.ts';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from '../../../test/http.ts';
import {
  bearer,
  captureLogs,
  createWorkspace,
  invitationTokenIn,
  registerUser,
  startSmtpServer,
  type TestSmtpServer,
  type TestUser,
} from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { createEmailSendQueue, EMAIL_SEND } from '../email/emailSendQueue.ts';

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
    expect(res.body.data.emailStatus).toBe('held');

    const outbox = await t.services.db('email_outbox').where({ to: email });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ subject: 'Join Offline <Co> on TwinMCP', status: 'held' });
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
});

describe('invitation emails through the email.send job queue', () => {
  const apps: Array<{ close(): Promise<void> }> = [];
  const smtps: TestSmtpServer[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    for (const smtp of smtps) await smtp.close();
  });
  const startSmtp = async (options?: { refuseFirst?: number }) => {
    const smtp = await startSmtpServer(options);
    smtps.push(smtp);
    return smtp;
  };
  const startApp = async (env: Record<string, string>) => {
    const app = await startTestApp({ env: { APP_URL, ...env } });
    apps.push(app);
    return app;
  };
  const statusOf = async (app: TestApp, invitationId: string) =>
    await app.services
      .db('workspace_invitations')
      .join('email_outbox', 'email_outbox.id', 'workspace_invitations.email_outbox_id')
      .where('workspace_invitations.id', invitationId)
      .first('email_outbox.status', 'email_outbox.attempts', 'email_outbox.last_error');

  it('answers at once, then retries a refusing SMTP server with backoff until the email goes out', async () => {
    const smtp = await startSmtp({ refuseFirst: 1 });
    const t = await startApp({ SMTP_URL: smtp.url });
    const owner = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Patient');
    const email = uniqueEmail('retry');
    const res = await t.request.post(`/api/workspace/${workspace.id}/invitations`).set(bearer(owner)).send({ email, role: 'member' });
    expect(res.status).toBe(201);
    expect(res.body.data.emailStatus).toBe('queued');

    await waitUntil('the refused attempt to be recorded', async () => (await statusOf(t, res.body.data.id))?.attempts === 1);
    expect(await statusOf(t, res.body.data.id)).toMatchObject({ status: 'queued', last_error: expect.stringContaining('Try again later') });
    expect(smtp.mailsTo(email)).toHaveLength(0);
    // The first retry waits 3 to 6 s (retryDelaySeconds 3, with jitter).
    await waitUntil('the retried email to arrive', () => smtp.mailsTo(email).length === 1, 20_000);
    await waitUntil('the email to show as sent', async () => (await statusOf(t, res.body.data.id))?.status === 'sent');
    expect(await statusOf(t, res.body.data.id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    const listed = await t.request.get(`/api/workspace/${workspace.id}/invitations`).set(bearer(owner));
    expect(listed.body.data[0]).toMatchObject({ id: res.body.data.id, emailStatus: 'sent' });

    const invited = await registerUser(t, { email });
    const token = invitationTokenIn(smtp.mailsTo(email)[0]!.mail.text);
    expect((await t.request.post('/api/workspace/invitations/accept').set(bearer(invited)).send({ token })).status).toBe(200);
  }, 40_000);

  it('records a failed attempt, and marks the email failed when the last attempt fails', async () => {
    const down = await startSmtpServer();
    await down.close();
    const t = await startApp({});
    const [row] = await t.services
      .db('email_outbox')
      .insert({ to: 'nobody@example.com', subject: 'S', text: 'T', status: 'queued' })
      .returning('id');
    const queue = createEmailSendQueue({ config: parseConfig({ SMTP_URL: down.url }), db: t.services.db });
    const context = {
      jobId: crypto.randomUUID(),
      signal: new AbortController().signal,
      log: t.services.log,
      progress: async () => undefined,
    };
    await expect(queue.handler({ outboxId: row.id }, { ...context, attempt: 3, isLastAttempt: false })).rejects.toThrow();
    expect(await t.services.db('email_outbox').where({ id: row.id }).first()).toMatchObject({ status: 'queued', attempts: 4 });
    await expect(queue.handler({ outboxId: row.id }, { ...context, attempt: 8, isLastAttempt: true })).rejects.toThrow();
    expect(await t.services.db('email_outbox').where({ id: row.id }).first()).toMatchObject({
      status: 'failed',
      attempts: 9,
      last_error: expect.any(String),
    });
  });

  it('sends what waited in the outbox once a process starts with SMTP_URL', async () => {
    const before = await startApp({});
    const owner = await registerUser(before);
    const workspace = await createWorkspace(before, owner, 'Offline first');
    const email = uniqueEmail('held');
    const res = await before.request.post(`/api/workspace/${workspace.id}/invitations`).set(bearer(owner)).send({ email, role: 'viewer' });
    expect(res.body.data.emailStatus).toBe('held');

    // Another process of the same deployment, started with an SMTP server.
    const smtp = await startSmtp();
    const config = parseConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DATA_DIR: '/nonexistent-test-data-dir',
      APP_URL,
      DATABASE_URL: before.config.DATABASE_URL!,
      SMTP_URL: smtp.url,
    });
    const after = await createServices(config, { migrate: false });
    apps.splice(apps.indexOf(before), 0, after);
    createApp(after);
    await after.jobs.start();
    await waitUntil('the held email to arrive', () => smtp.mailsTo(email).length === 1);
    await waitUntil('the email to show as sent', async () => (await statusOf(before, res.body.data.id))?.status === 'sent');
    // Sent by a job of the new process's queue: one job, for the held email.
    const { email_outbox_id: outboxId } = await before.services.db('workspace_invitations').where({ id: res.body.data.id }).first();
    // The handler marks the email sent before pg-boss records the job complete: wait for the queue, too.
    const emailJobs = () => after.db.withSchema('pgboss').from('job').where({ name: EMAIL_SEND.name }).select('state', 'data');
    await waitUntil('the email job to complete', async () => (await emailJobs()).every((job) => job.state === 'completed'));
    expect(await emailJobs()).toEqual([{ state: 'completed', data: { outboxId } }]);

    const invited = await registerUser(before, { email });
    const token = invitationTokenIn(smtp.mailsTo(email)[0]!.mail.text);
    expect((await before.request.post('/api/workspace/invitations/accept').set(bearer(invited)).send({ token })).body.data.role).toBe(
      'viewer',
    );
  });
});

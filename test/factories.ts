import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { pino, type Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import type { Bus, BusEventName, BusEvents } from '@shared/bus.ts';
import type { TestApp } from './http.ts';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  name: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a user through the API (so tests exercise the real path) and returns its credentials. */
export async function registerUser(
  app: TestApp,
  overrides: Partial<Pick<TestUser, 'email' | 'password' | 'name'>> = {},
): Promise<TestUser> {
  const body = {
    email: overrides.email ?? `user-${crypto.randomBytes(6).toString('hex')}@example.com`,
    password: overrides.password ?? 'correct horse battery staple',
    name: overrides.name ?? 'Test User',
  };
  const res = await app.request.post('/api/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { user, accessToken, refreshToken } = res.body.data;
  return { ...body, id: user.id, accessToken, refreshToken };
}

/** `Authorization` header for a user. */
export const bearer = (user: Pick<TestUser, 'accessToken'>) => ({ Authorization: `Bearer ${user.accessToken}` });

/** Creates a conversation owned by the user. */
export async function createConversation(app: TestApp, user: TestUser, title = 'A conversation'): Promise<{ id: string; title: string }> {
  const res = await app.request.post('/api/conversations').set(bearer(user)).send({ title });
  if (res.status !== 201) throw new Error(`create conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Creates a conversation owned by the user, with the name of its collaborative document. */
export async function createConversationDocument(app: TestApp, user: TestUser): Promise<{ id: string; name: string }> {
  const { id } = await createConversation(app, user);
  return { id, name: `conversation:${id}` };
}

/** Creates a workspace through the API; the user becomes its owner and an admin. */
export async function createWorkspace(
  app: TestApp,
  user: TestUser,
  name = 'A workspace',
): Promise<{ id: string; slug: string; name: string }> {
  const res = await app.request.post('/api/workspace').set(bearer(user)).send({ name });
  if (res.status !== 201) throw new Error(`create workspace failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/**
 * Makes the user a member with this role, straight in the database: the invitation flow has its own
 * tests, and suites about roles should not depend on email delivery.
 */
export async function addWorkspaceMember(
  app: TestApp,
  workspaceId: string,
  user: TestUser,
  role: 'admin' | 'member' | 'viewer',
): Promise<void> {
  await app.services.db('workspace_members').insert({ workspace_id: workspaceId, user_id: user.id, role });
}

/** Creates a conversation in a workspace as this user. */
export async function createWorkspaceConversation(app: TestApp, user: TestUser, workspaceId: string, title = 'A team conversation') {
  const res = await app.request.post('/api/conversations').set(bearer(user)).send({ title, workspaceId });
  if (res.status !== 201) throw new Error(`create conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; title: string; workspaceId: string };
}

/** Every `event` the bus delivers from now on, and a way to wait for a particular one. */
export function recordEvents<E extends BusEventName>(bus: Bus, event: E) {
  const seen: BusEvents[E][] = [];
  const stop = bus.subscribe(event, (payload) => {
    seen.push(payload);
  });
  async function waitFor(matches: (payload: BusEvents[E]) => boolean, timeoutMs = 5000): Promise<BusEvents[E]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = seen.find(matches);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching ${event} within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return { seen, waitFor, stop };
}

/** An email the test SMTP server accepted: the envelope's recipients and the parsed message. */
export interface ReceivedMail {
  recipients: string[];
  mail: ParsedMail;
}

/** A real SMTP server on loopback, for tests of what the product emails. */
export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** Every mail so far whose envelope names this address (in any letter case). */
  mailsTo(address: string): ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Starts an SMTP server on an ephemeral loopback port that parses and keeps every message. It answers
 * DATA only after the message is stored, so once it has accepted an email, the email is in `received`.
 * `refuseFirst` answers that many messages with a temporary failure (451) before accepting any.
 */
export async function startSmtpServer(options: { refuseFirst?: number } = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  let refusalsLeft = options.refuseFirst ?? 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (refusalsLeft > 0) {
        refusalsLeft--;
        stream.on('end', () => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })));
        stream.resume();
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          received.push({ recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    mailsTo: (address) => received.filter((item) => item.recipients.some((rcpt) => rcpt.toLowerCase() === address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token of the invitation link in an email's text. */
export function invitationTokenIn(text: string | undefined): string {
  const match = /\/invite\?token=([\w-]+)/.exec(text ?? '');
  if (!match) throw new Error(`no invitation link in ${JSON.stringify(text)}`);
  return decodeURIComponent(match[1]!);
}

/** A pino logger at info whose lines (raw JSON strings) the test can read. */
export function captureLogs(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

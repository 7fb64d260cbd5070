import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '@shared/config.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { startOpenAIChat, type OpenAIChatStandIn } from '../../../test/standIns/openaiChat.ts';
import { STORAGE_TOTAL_MAX_BYTES, STORAGE_VALUE_MAX_BYTES } from './capabilities/storageCapabilities.ts';
import { createPluginHostCalls } from './pluginHostCalls.ts';
import { newPluginId } from './plugins.fixtures.ts';
import type { CapabilityName } from './pluginRuntimePort.ts';

const HTTP_MAX_BYTES = 2_048;
const HTTP_TIMEOUT_MS = 300;

describe('plugin host capabilities', () => {
  let t: TestApp;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let chat: OpenAIChatStandIn;

  beforeAll(async () => {
    t = await startTestApp({ env: { PLUGIN_HTTP_MAX_BYTES: String(HTTP_MAX_BYTES), PLUGIN_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS) } });
    target = await startTarget();
    chat = await startOpenAIChat();
  });
  afterAll(async () => {
    await target?.close();
    await chat?.close();
    await t?.close();
  });

  /** An installed plugin row (storage refers to it) holding these permissions. */
  async function plugin(permissions: string[]) {
    const id = newPluginId();
    await t.services.db('plugins').insert({
      id,
      name: 'Test',
      version: '1.0.0',
      publisher: 'Tests',
      description: 'A plugin for host capability tests',
      manifest: JSON.stringify({}),
      source: 'export {}',
      signature_level: 'signed',
      permissions: JSON.stringify(permissions),
      granted_permissions: JSON.stringify(permissions),
    });
    return { id, permissions };
  }
  function host(actor: TestUser, pluginRow: { id: string; permissions: string[] }, conversationId?: string, config?: Config) {
    const services = config ? { ...t.services, config } : t.services;
    const calls = createPluginHostCalls({ services, actor: { type: 'user', id: actor.id }, plugin: pluginRow, conversationId });
    return (name: CapabilityName, ...args: unknown[]) => calls.call(name, args, { signal: new AbortController().signal });
  }
  async function post(user: TestUser, conversationId: string, content: string) {
    const res = await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content });
    expect(res.status).toBe(201);
  }

  describe('conversations', () => {
    it('reads the messages of the conversation the tool was invoked in, and no other', async () => {
      const owner = await registerUser(t);
      const [invokedIn, another] = [await createConversation(t, owner), await createConversation(t, owner)];
      await post(owner, invokedIn.id, 'first');
      await post(owner, another.id, 'elsewhere');
      const call = host(owner, await plugin(['conversations:read']), invokedIn.id);
      const read = (await call('conversation.read', another.id)) as { conversationId: string; messages: Array<{ content: string }> };
      expect(read.conversationId).toBe(invokedIn.id);
      expect(read.messages.map((message) => message.content)).toEqual(['first']);
    });

    it('refuses without the permission, without a conversation, and for a conversation the caller cannot read', async () => {
      const [owner, stranger] = [await registerUser(t), await registerUser(t)];
      const conversation = await createConversation(t, owner);
      await expect(host(owner, await plugin(['storage']), conversation.id)('conversation.read')).rejects.toMatchObject({
        code: 'permission_denied',
      });
      const reader = await plugin(['conversations:read']);
      await expect(host(owner, reader)('conversation.read')).rejects.toMatchObject({ code: 'no_conversation' });
      await expect(host(stranger, reader, conversation.id)('conversation.read')).rejects.toMatchObject({ code: 'conversation_forbidden' });
    });

    it('posts as the caller where the caller may post, and nowhere else', async () => {
      const [admin, viewer] = [await registerUser(t), await registerUser(t)];
      const workspace = await createWorkspace(t, admin);
      await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
      const conversation = await createWorkspaceConversation(t, admin, workspace.id);
      const writer = await plugin(['conversations:write']);
      const posted = (await host(admin, writer, conversation.id)('conversation.post', 'from a plugin')) as { id: string };
      const row = await t.services.db('messages').where({ id: posted.id }).first();
      expect(row).toMatchObject({ conversation_id: conversation.id, author_id: admin.id, role: 'user', content: 'from a plugin' });
      await expect(host(viewer, writer, conversation.id)('conversation.post', 'no')).rejects.toMatchObject({
        code: 'conversation_forbidden',
      });
      const reader = await plugin(['conversations:read']);
      await expect(host(admin, reader, conversation.id)('conversation.post', 'no')).rejects.toMatchObject({ code: 'permission_denied' });
    });
  });

  it('refuses every capability once the plugin is disabled', async () => {
    const user = await registerUser(t);
    const granted = await plugin(['storage']);
    await host(user, granted)('storage.set', 'k', 1);
    await t.services.db('plugins').where({ id: granted.id }).update({ enabled: false });
    await expect(host(user, granted)('storage.get', 'k')).rejects.toMatchObject({ code: 'plugin_disabled' });
  });

  describe('storage', () => {
    it('keeps each plugin and each user apart', async () => {
      const [ada, bob] = [await registerUser(t), await registerUser(t)];
      const [first, second] = [await plugin(['storage']), await plugin(['storage'])];
      await host(ada, first)('storage.set', 'k', { n: 1 });
      await host(bob, first)('storage.set', 'k', { n: 2 });
      expect(await host(ada, first)('storage.get', 'k')).toEqual({ n: 1 });
      expect(await host(bob, first)('storage.get', 'k')).toEqual({ n: 2 });
      expect(await host(ada, second)('storage.get', 'k')).toBeNull();
      expect(await host(ada, first)('storage.delete', 'k')).toBe(true);
      expect(await host(ada, first)('storage.get', 'k')).toBeNull();
      expect(await host(bob, first)('storage.get', 'k')).toEqual({ n: 2 });
      await expect(host(ada, await plugin(['llm']))('storage.get', 'k')).rejects.toMatchObject({ code: 'permission_denied' });
    });

    it('caps a value and the total a plugin keeps for a user', async () => {
      const user = await registerUser(t);
      const call = host(user, await plugin(['storage']));
      await expect(call('storage.set', 'big', 'x'.repeat(STORAGE_VALUE_MAX_BYTES))).rejects.toMatchObject({
        code: 'storage_value_too_large',
      });
      const chunk = 'x'.repeat(STORAGE_VALUE_MAX_BYTES - 10);
      const fits = Math.floor(STORAGE_TOTAL_MAX_BYTES / Buffer.byteLength(JSON.stringify(chunk)));
      for (let n = 0; n < fits; n++) await call('storage.set', `k${n}`, chunk);
      await expect(call('storage.set', 'one-more', chunk)).rejects.toMatchObject({ code: 'storage_quota_exceeded' });
      // Replacing a key counts its new size, not both.
      await call('storage.set', 'k0', chunk);
      await expect(call('storage.set', '', 1)).rejects.toMatchObject({ code: 'invalid_argument' });
    });
  });

  describe('http.fetch', () => {
    const url = (path: string, host = '127.0.0.1') => `http://${host}:${target.port}${path}`;

    it('reaches a granted literal address, answering status, headers and body, and does not follow redirects', async () => {
      const user = await registerUser(t);
      const call = host(user, await plugin(['http:127.0.0.1']));
      const res = (await call('http.fetch', url('/hello'), { method: 'POST', body: 'ping', headers: { 'x-test': 'yes' } })) as {
        status: number;
        body: string;
        headers: Record<string, string>;
      };
      expect(res).toMatchObject({ status: 200, body: 'hello POST ping yes' });
      expect(res.headers['content-type']).toBe('text/plain');
      const redirect = (await call('http.fetch', url('/redirect'))) as { status: number; headers: Record<string, string> };
      expect(redirect.status).toBe(302);
      expect(redirect.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
      const onPort = host(user, await plugin([`http:127.0.0.1:${target.port}`]));
      expect(await onPort('http.fetch', url('/hello'))).toMatchObject({ status: 200 });
      const otherPort = host(user, await plugin([`http:127.0.0.1:${target.port === 1 ? 2 : 1}`]));
      await expect(otherPort('http.fetch', url('/hello'))).rejects.toMatchObject({ code: 'http_forbidden' });
    });

    it('refuses hosts not granted, other schemes, the metadata address, and a granted name that resolves to loopback', async () => {
      const user = await registerUser(t);
      const call = host(user, await plugin(['http:127.0.0.1', 'http:169.254.169.254', 'http:localhost']));
      await expect(call('http.fetch', 'http://example.com/')).rejects.toMatchObject({ code: 'http_forbidden' });
      await expect(call('http.fetch', 'file:///etc/passwd')).rejects.toMatchObject({ code: 'http_forbidden' });
      await expect(call('http.fetch', 'http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({ code: 'http_forbidden' });
      const mapped = host(user, await plugin(['http:[::ffff:a9fe:a9fe]']));
      await expect(mapped('http.fetch', 'http://[::ffff:169.254.169.254]/')).rejects.toMatchObject({ code: 'http_forbidden' });
      const reached = target.requests.length;
      await expect(call('http.fetch', url('/hello', 'localhost'))).rejects.toMatchObject({
        code: 'http_forbidden',
        message: expect.stringContaining('resolves to an address'),
      });
      expect(target.requests.length).toBe(reached);
      await expect(host(user, await plugin(['storage']))('http.fetch', url('/hello'))).rejects.toMatchObject({ code: 'http_forbidden' });
    });

    it('aborts a body past PLUGIN_HTTP_MAX_BYTES and a request past PLUGIN_HTTP_TIMEOUT_MS', async () => {
      const user = await registerUser(t);
      const call = host(user, await plugin(['http:127.0.0.1']));
      await expect(call('http.fetch', url('/big'))).rejects.toMatchObject({ code: 'http_body_too_large' });
      expect(await call('http.fetch', url('/exact'))).toMatchObject({ status: 200 });
      const started = Date.now();
      await expect(call('http.fetch', url('/hang'))).rejects.toMatchObject({ code: 'http_timeout' });
      await expect(call('http.fetch', url('/trickle'))).rejects.toMatchObject({ code: 'http_timeout' });
      expect(Date.now() - started).toBeLessThan(2 * HTTP_TIMEOUT_MS + 2_000);
    });
  });

  describe('llm.complete', () => {
    it('completes through an OpenAI-compatible server, and is unavailable without OPENAI_API_KEY', async () => {
      const user = await registerUser(t);
      const granted = await plugin(['llm']);
      const config = { ...t.config, OPENAI_API_KEY: chat.apiKey, OPENAI_BASE_URL: chat.baseURL };
      const answer = await host(user, granted, undefined, config)('llm.complete', { prompt: 'Say hi', system: 'Be brief', maxTokens: 50 });
      expect(answer).toEqual({ text: 'Echo: Say hi', model: t.config.PLUGIN_LLM_MODEL });
      expect(chat.received.at(-1)).toMatchObject({
        model: t.config.PLUGIN_LLM_MODEL,
        maxTokens: 50,
        messages: [
          { role: 'system', content: 'Be brief' },
          { role: 'user', content: 'Say hi' },
        ],
      });
      await expect(host(user, granted)('llm.complete', { prompt: 'Say hi' })).rejects.toMatchObject({ code: 'llm_unavailable' });
      await expect(host(user, await plugin(['storage']), undefined, config)('llm.complete', { prompt: 'x' })).rejects.toMatchObject({
        code: 'permission_denied',
      });
    });
  });

  describe('code.execute', () => {
    it('runs JavaScript in the sandbox', async () => {
      const user = await registerUser(t);
      const call = host(user, await plugin(['code:execute']));
      const result = await call('code.execute', { language: 'javascript', code: 'console.log(stdin.trim().toUpperCase())', stdin: 'hi\n' });
      expect(result).toMatchObject({ stdout: 'HI\n', exitCode: 0, limit: null });
      await expect(host(user, await plugin(['storage']))('code.execute', { language: 'javascript', code: '1' })).rejects.toMatchObject({
        code: 'permission_denied',
      });
    }, 30_000);
  });
});

/** A loopback server for http.fetch: echoes, redirects, answers too much, or never answers. */
async function startTarget() {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/hello') {
        const text = `hello ${req.method} ${Buffer.concat(chunks).toString()} ${String(req.headers['x-test'] ?? '')}`.replace(/\s+$/, '');
        return res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      }
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/big') return res.writeHead(200).end(Buffer.alloc(HTTP_MAX_BYTES + 1, 97));
      if (req.url === '/exact') return res.writeHead(200).end(Buffer.alloc(HTTP_MAX_BYTES, 97));
      if (req.url === '/hang') return; // never answers; the client's timeout ends it
      if (req.url === '/trickle') return res.writeHead(200).write('a'); // headers and a byte, then nothing
      res.writeHead(404).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

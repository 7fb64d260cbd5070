import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { packPlugin } from '@shared/plugins/package/index.ts';
import { PluginFixtures } from '@shared/plugins/package/package.fixtures.ts';
import { buildShippedPlugins, type BuiltPlugin } from '../../../plugins/buildShippedPlugins.ts';
import { expectError } from '../../../test/assertions.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { callTool, startMcpServer, textOf, valueOf } from '../mcp/mcp.fixtures.ts';
import { newPluginId, testManifest, installAsDefault } from './plugins.fixtures.ts';

/**
 * The whole path with the real runtime: the shipped plugins as an operator installs them (bundled, signed
 * with the development key, which a test deployment trusts), run in isolates in worker processes, reading
 * the conversation through the host; and hostile plugins that must fail safely with the API unaffected.
 */
describe('plugins with the real runtime', () => {
  let t: TestApp;
  let operator: TestUser;
  let user: TestUser;
  let outDir: string;
  let shipped: Map<string, BuiltPlugin>;
  const fixtures = new PluginFixtures();

  beforeAll(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-plugins-e2e-'));
    shipped = new Map((await buildShippedPlugins({ outDir })).map((plugin) => [plugin.name, plugin]));
    t = await startTestApp({ env: { PLUGIN_ALLOW_UNSIGNED: 'true', PLUGIN_TIMEOUT_MS: '1500', PLUGIN_WORKERS: '1' } });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
    user = await registerUser(t);
    for (const name of ['wordcount', 'formatter']) await installDefault(await fs.readFile(shipped.get(name)!.tgz));
  });
  afterAll(async () => {
    await t?.close();
    await fixtures.cleanup();
    await fs.rm(outDir, { recursive: true, force: true });
  });

  const installDefault = (tgz: Buffer) => installAsDefault(t, operator, tgz);

  /** An unsigned plugin (PLUGIN_ALLOW_UNSIGNED is on here) whose `run` tool has `body` for its code. */
  async function installHostile(body: string, permissions: string[] = []): Promise<string> {
    const manifest = testManifest({
      id: newPluginId(),
      permissions,
      tools: [{ name: 'run', description: 'Does what it does', inputSchema: { type: 'object' } }],
    });
    const dir = await fixtures.pluginDir({
      manifest,
      files: { 'dist/index.js': `export default { tools: { run: async (input, ctx) => { ${body} } } };\n` },
    });
    return installDefault(await packPlugin(dir));
  }

  const invoke = (id: string, tool: string, body: Record<string, unknown>, as: TestUser = user) =>
    t.request.post(`/api/plugins/${id}/tools/${tool}/invoke`).set(bearer(as)).send(body);

  /** The API still answers a plugin call: asserted after every hostile one. */
  async function expectStillAnswers() {
    const res = await invoke('com.twinmcp.wordcount', 'count_words', { input: { text: 'still standing' } });
    expect(res.status).toBe(200);
    expect(res.body.data.output).toMatchObject({ words: 2 });
  }

  it('word count counts the conversation it was invoked in, read through the host as the caller', async () => {
    const conversation = await createConversation(t, user);
    for (const content of ['Lunch on Friday?', 'Yes, at noon in room 42.'])
      expect(
        (await t.request.post(`/api/conversations/${conversation.id}/messages`).set(bearer(user)).send({ role: 'user', content })).status,
      ).toBe(201);
    const res = await invoke('com.twinmcp.wordcount', 'count_words', { input: {}, conversationId: conversation.id });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ output: { words: 9, messages: 2 }, invocationId: expect.any(String) });
    const [recorded] = await t.services.db('plugin_invocations').where({ id: res.body.data.invocationId });
    expect(recorded).toMatchObject({
      plugin_id: 'com.twinmcp.wordcount',
      tool: 'count_words',
      outcome: 'ok',
      conversation_id: conversation.id,
    });
  });

  it('word count cannot read a conversation its caller cannot', async () => {
    const someoneElse = await registerUser(t);
    const theirs = await createConversation(t, someoneElse);
    expectError(await invoke('com.twinmcp.wordcount', 'count_words', { input: {}, conversationId: theirs.id }), 404, 'not_found');
  });

  it('the formatter formats TypeScript with Prettier inside the isolate', async () => {
    const res = await invoke('com.twinmcp.formatter', 'format_code', { input: { code: 'let a={b:1}', language: 'typescript' } });
    expect(res.status).toBe(200);
    expect(res.body.data.output).toEqual({ formatted: 'let a = { b: 1 };\n', changed: true });
  });

  it('a plugin that loops forever is stopped at PLUGIN_TIMEOUT_MS: 504, and the API answers on', async () => {
    const id = await installHostile('while (true) {}');
    expectError(await invoke(id, 'run', { input: {} }), 504, 'plugin_timeout');
    await expectStillAnswers();
  });

  it('a plugin that reaches for the host finds nothing: no process, no require, no import()', async () => {
    const id = await installHostile(`
      const found = [];
      try { found.push(typeof process, typeof require, typeof fetch); } catch (e) { found.push('threw'); }
      try { found.push(({}).constructor.constructor('return typeof process')()); } catch (e) { found.push('ctor threw'); }
      try { await import('node:fs'); found.push('imported'); } catch (e) { found.push('import refused'); }
      return found;`);
    const res = await invoke(id, 'run', { input: {} });
    expect(res.status).toBe(200);
    expect(res.body.data.output).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'import refused']);
    await expectStillAnswers();
  });

  it('a plugin that returns 100 MiB: 413 output_too_large, and a plugin that allocates without end: 422', async () => {
    expectError(await invoke(await installHostile("return 'x'.repeat(100 * 1024 * 1024);"), 'run', { input: {} }), 413, 'output_too_large');
    const hog = await installHostile('const hoard = []; while (true) hoard.push(new Array(1e6).fill(1));');
    const res = await invoke(hog, 'run', { input: {} });
    expect([422, 504]).toContain(res.status);
    await expectStillAnswers();
  });

  it('a plugin that calls a capability it was not granted is refused by the host: 403', async () => {
    // ctx.storage is absent without the permission; the bridge refuses a forged call all the same.
    const id = await installHostile("return typeof ctx.storage === 'undefined' ? 'no storage here' : await ctx.storage.get('x');");
    const res = await invoke(id, 'run', { input: {} });
    expect(res.body.data.output).toBe('no storage here');
  });

  it('the kill switch stops a running invocation at once: 409 plugin_disabled, before its timeout', async () => {
    // The plugin waits on a page that never comes: once the server sees the request, the call is running.
    let reached!: () => void;
    const isRunning = new Promise<void>((resolve) => (reached = resolve));
    const hang = http.createServer(() => reached());
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hang.address() as AddressInfo;
      const id = await installHostile(`await ctx.http.fetch('http://127.0.0.1:${port}/never');`, ['http:127.0.0.1']);
      const running = invoke(id, 'run', { input: {} });
      // A call that ended before reaching the server fails here, saying how, rather than waiting forever.
      await Promise.race([isRunning, running.then((res) => Promise.reject(new Error(`ended early: ${JSON.stringify(res.body)}`)))]);
      expect((await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ enabled: false })).status).toBe(200);
      // Not 504 plugin_timeout: stopped by the switch, not by its 1.5 s limit.
      expectError(await running, 409, 'plugin_disabled');
      expectError(await invoke(id, 'run', { input: {} }), 409, 'plugin_disabled');
      await expectStillAnswers();
    } finally {
      hang.closeAllConnections();
      await new Promise((resolve) => hang.close(resolve));
    }
  });

  it('serves the plugins a person may use as MCP tools, run through the same checks and records as REST', async () => {
    const mcp = await startMcpServer(t);
    try {
      const client = await mcp.connect(user.accessToken);
      const { tools } = await client.listTools();
      const wordCount = tools.find((tool) => tool.name === 'com_twinmcp_wordcount__count_words');
      expect(wordCount).toMatchObject({
        title: 'Word count: Word count',
        inputSchema: { type: 'object', properties: { text: { type: 'string' }, conversationId: { type: 'string' } } },
        annotations: { readOnlyHint: true, destructiveHint: false },
      });
      expect(tools.map((tool) => tool.name)).toContain('read_conversation');

      expect(valueOf(await callTool(client, 'com_twinmcp_wordcount__count_words', { text: 'one two three' }))).toMatchObject({ words: 3 });
      const conversation = await createConversation(t, user);
      await t.request.post(`/api/conversations/${conversation.id}/messages`).set(bearer(user)).send({ role: 'user', content: 'a b c d' });
      const counted = await callTool(client, 'com_twinmcp_wordcount__count_words', { conversationId: conversation.id });
      expect(valueOf(counted)).toMatchObject({ words: 4, messages: 1 });
      const recorded = await t.services.db('plugin_invocations').where({ user_id: user.id, conversation_id: conversation.id });
      expect(recorded).toHaveLength(1);

      // Another person's conversation is not found, as over REST; bad input is refused with the field.
      const theirs = await createConversation(t, await registerUser(t));
      const refused = await callTool(client, 'com_twinmcp_wordcount__count_words', { conversationId: theirs.id });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/^not_found:/);
      const invalid = await callTool(client, 'com_twinmcp_formatter__format_code', { code: 'x', language: 'cobol' });
      expect(invalid.isError).toBe(true);
    } finally {
      await mcp.close();
    }
  });

  it('lists no plugin tool that is disabled or outside the default set', async () => {
    const id = await installHostile("return 'hidden';");
    const name = `${id.replace(/\./g, '_')}__run`;
    const mcp = await startMcpServer(t);
    try {
      const client = await mcp.connect(user.accessToken);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain(name);
      await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ isDefault: false });
      expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain(name);
      expect((await callTool(client, name)).isError).toBe(true);
    } finally {
      await mcp.close();
    }
  });
});

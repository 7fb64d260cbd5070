import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { generateSigningKey } from '@shared/plugins/package/index.ts';
import { expectError } from '../../../test/assertions.ts';
import { bearer, captureLogs, createWorkspace, createWorkspaceConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { waitUntil } from '../../../test/processes.ts';
import { listenOnLoopback } from '../../../test/standIns/listenOnLoopback.ts';
import { startMcpStandIn, type McpStandIn } from '../../../test/standIns/mcpServer.ts';
import { callTool, startMcpServer, type McpTestServer } from '../mcp/mcp.fixtures.ts';
import { PluginPackages, testManifest } from './plugins.fixtures.ts';
import { mcpToolName } from './pluginToolSource.ts';

const SECRET = 'Bearer remote-secret-7f3a';
const TIMEOUT_MS = 10_000;
const OUTPUT_BYTES = 64 * 1024;

/**
 * Remote MCP servers as plugins, against real MCP servers on loopback (the official SDK's, in
 * test/standIns/mcpServer.ts): registered by an operator, then called through the same invoke as
 * packages, over REST and over /mcp. No plugin runtime runs here: remote tools do not need one.
 */
describe('remote MCP servers as plugins', () => {
  let t: TestApp;
  let operator: TestUser;
  let user: TestUser;
  let remote: McpStandIn;
  let pluginId: string;
  const standIns: McpStandIn[] = [];
  const logs = captureLogs();
  const key = generateSigningKey();
  const packages = new PluginPackages(key.privateKeyPem);

  const register = (as: TestUser, body: Record<string, unknown>) => t.request.post('/api/plugins/remote').set(bearer(as)).send(body);
  const invoke = (id: string, tool: string, body: Record<string, unknown>, as: TestUser = user) =>
    t.request.post(`/api/plugins/${id}/tools/${tool}/invoke`).set(bearer(as)).send(body);
  /** A stand-in server, closed after the suite. */
  async function standIn(options: Parameters<typeof startMcpStandIn>[0] = {}): Promise<McpStandIn> {
    const server = await startMcpStandIn(options);
    standIns.push(server);
    return server;
  }
  /** Registers a server as the operator and puts it in the default set; its plugin id. */
  async function registerDefault(url: string, headers?: Record<string, string>): Promise<string> {
    const res = await register(operator, { url, ...(headers ? { headers } : {}) });
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    expect((await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ isDefault: true })).status).toBe(200);
    return id;
  }

  beforeAll(async () => {
    remote = await standIn({ serverInfo: { name: 'Weather tools', version: '2.1.0' }, failingTool: true });
    t = await startTestApp({
      env: {
        PLUGIN_TRUSTED_KEYS: key.publicKey,
        PLUGIN_REMOTE_HOSTS: '127.0.0.1',
        PLUGIN_TIMEOUT_MS: String(TIMEOUT_MS),
        PLUGIN_OUTPUT_BYTES: String(OUTPUT_BYTES),
      },
      app: { plugins: { runtime: null } },
      log: logs.log,
    });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
    user = await registerUser(t);
    pluginId = await registerDefault(remote.url, { Authorization: SECRET });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(standIns.map((server) => server.close()));
    await packages.fixtures.cleanup();
  });

  it('lists a registered server as a plugin of kind remote, with its name, version and tools, and never its headers', async () => {
    const res = await t.request.get('/api/plugins').set(bearer(operator));
    expect(res.status).toBe(200);
    const plugin = (res.body.data as Array<Record<string, unknown>>).find((candidate) => candidate.id === pluginId);
    expect(plugin).toMatchObject({
      kind: 'remote',
      url: remote.url,
      signatureLevel: 'remote',
      name: 'Weather tools',
      version: '2.1.0',
      enabled: true,
      isDefault: true,
      permissions: [],
    });
    expect(pluginId).toMatch(/^remote\.127-0-0-1\.p\d+$/);
    const tools = plugin!.tools as Array<Record<string, unknown>>;
    expect(tools.map((tool) => tool.name).sort()).toEqual(['big', 'echo', 'fail', 'shout', 'slow']);
    expect(tools.find((tool) => tool.name === 'shout')).toMatchObject({
      inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
      annotations: { destructiveHint: true },
    });
    // The server was asked with the registered headers; nobody is ever shown them, nor finds them in the database.
    expect(remote.authorizations).toContain(SECRET);
    const people = await t.request.get('/api/plugins').set(bearer(user));
    expect(people.body.data.map((listed: { id: string }) => listed.id)).toContain(pluginId);
    for (const listing of [res, people]) expect(listing.text).not.toContain('remote-secret');
    // People see who serves it (the host), not its address: a path may carry a key.
    const seen = people.body.data.find((listed: { id: string }) => listed.id === pluginId);
    expect(seen).toMatchObject({ kind: 'remote', publisher: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(seen).not.toHaveProperty('url');
    expect(people.text).not.toContain(remote.url);
    const [row] = await t.services.db('plugins').where({ id: pluginId });
    expect(row.remote_headers).toEqual(expect.any(String));
    expect(row.remote_headers).not.toContain('remote-secret');
    expect(JSON.stringify(row.manifest)).not.toContain(row.remote_headers);
    const [audit] = await t.services.db('audit_log').where({ action: 'plugin.remote_registered', subject_id: pluginId });
    expect(audit.data).toMatchObject({ url: remote.url, headerNames: ['Authorization'] });
    expect(JSON.stringify(audit.data)).not.toContain('remote-secret');
  });

  it('registering the same URL again refreshes the plugin in place and keeps the stored headers', async () => {
    const res = await register(operator, { url: remote.url });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: pluginId, kind: 'remote', isDefault: true });
    expect(remote.authorizations.at(-1)).toBe(SECRET);
  });

  it('registering again picks up the tools the server offers now, and they can be called at once', async () => {
    const options = { failingTool: false };
    const changing = await standIn(options);
    const toolNames = (res: { body: { data: { tools: Array<{ name: string }> } } }) => res.body.data.tools.map((tool) => tool.name);
    const first = await register(operator, { url: changing.url });
    expect(first.status).toBe(201);
    expect(toolNames(first)).not.toContain('fail');
    const id = first.body.data.id as string;
    expect((await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ isDefault: true })).status).toBe(200);
    expectError(await invoke(id, 'fail', { input: { text: 'x' } }), 404, 'tool_not_found');
    // The server now offers `fail` too.
    options.failingTool = true;
    const again = await register(operator, { url: changing.url });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ id, isDefault: true });
    expect(toolNames(again)).toContain('fail');
    expectError(await invoke(id, 'fail', { input: { text: 'refreshed' } }), 422, 'tool_failed');
  });

  it('lists packages beside it as kind package, and a package cannot take its id: 409 plugin_id_taken', async () => {
    const upload = (manifest: Record<string, unknown>) =>
      packages.signed(manifest).then((tgz) => t.request.post('/api/plugins').set(bearer(operator)).attach('package', tgz, 'plugin.tgz'));
    const installed = await upload(testManifest());
    expect(installed.status).toBe(201);
    expect(installed.body.data).toMatchObject({ kind: 'package', signatureLevel: 'signed' });
    expect(installed.body.data).not.toHaveProperty('url');
    expectError(await upload(testManifest({ id: pluginId, version: '9.0.0' })), 409, 'plugin_id_taken');
    const [row] = await t.services.db('plugins').where({ id: pluginId });
    expect(row).toMatchObject({ kind: 'remote', signature_level: 'remote', source: null });
  });

  it('refuses people who are not operators: 403, and nothing is registered', async () => {
    const other = await standIn();
    expectError(await register(user, { url: other.url }), 403, 'forbidden');
    expect(other.authorizations).toHaveLength(0);
  });

  it('refuses a host PLUGIN_REMOTE_HOSTS does not list: 400 host_not_allowed, naming the variable', async () => {
    const res = await register(operator, { url: 'https://mcp.example.com/mcp' });
    expectError(res, 400, 'host_not_allowed');
    expect(res.body.error.message).toMatch(/PLUGIN_REMOTE_HOSTS/);
    expectError(await register(operator, { url: 'file:///etc/passwd' }), 400, 'validation_failed');
    expectError(await register(operator, { url: remote.url, headers: { 'Content-Type': 'text/plain' } }), 400, 'validation_failed');
  });

  it('answers 502 remote_unreachable, with the reason, for a server that is down or does not speak MCP', async () => {
    const closed = await listenOnLoopback(http.createServer());
    await closed.close();
    const down = await register(operator, { url: `${closed.origin}/mcp` });
    expectError(down, 502, 'remote_unreachable');
    expect(down.body.error.message).toMatch(/127\.0\.0\.1:\d+: fetch failed \(ECONNREFUSED\)/);

    const webPage = await listenOnLoopback(
      http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>')),
    );
    try {
      expectError(await register(operator, { url: `${webPage.origin}/` }), 502, 'remote_unreachable');
    } finally {
      await webPage.close();
    }
    const stored = await t.services.db('plugins').whereIn('remote_url', [`${closed.origin}/mcp`, `${webPage.origin}/`]);
    expect(stored).toHaveLength(0);
  });

  it('runs a remote tool through REST with the registered headers: the server’s content, recorded and audited', async () => {
    const res = await invoke(pluginId, 'echo', { input: { text: 'hello' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ output: { content: [{ type: 'text', text: 'hello' }] }, invocationId: expect.any(String) });
    expect(remote.authorizations.at(-1)).toBe(SECRET);
    const { invocationId } = res.body.data;
    const [recorded] = await t.services.db('plugin_invocations').where({ id: invocationId });
    expect(recorded).toMatchObject({ plugin_id: pluginId, tool: 'echo', user_id: user.id, outcome: 'ok' });
    const [audit] = await t.services
      .db('audit_log')
      .where({ action: 'plugin.invoked', subject_id: pluginId })
      .whereRaw("data->>'invocationId' = ?", [invocationId]);
    expect(audit).toMatchObject({ actor_id: user.id });
  });

  it('checks input against the remote tool’s inputSchema before calling it: 400', async () => {
    const calls = remote.toolCalls.length;
    const res = await invoke(pluginId, 'echo', { input: { text: 42 } });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.message).toMatch(/input\.text/);
    expect(remote.toolCalls).toHaveLength(calls);
  });

  it('asks for confirm before a remote tool marked destructive', async () => {
    expectError(await invoke(pluginId, 'shout', { input: { text: 'careful' } }), 409, 'confirmation_required');
    const res = await invoke(pluginId, 'shout', { input: { text: 'careful' }, confirm: true });
    expect(res.status).toBe(200);
    expect(res.body.data.output).toEqual({ content: [{ type: 'text', text: 'CAREFUL' }] });
  });

  it('answers a tool error from the server like any failing tool: 422 tool_failed, recorded', async () => {
    const res = await invoke(pluginId, 'fail', { input: { text: 'no such city' } });
    expectError(res, 422, 'tool_failed');
    expect(res.body.error.message).toBe('no such city');
    const [recorded] = await t.services.db('plugin_invocations').where({ plugin_id: pluginId, tool: 'fail' });
    expect(recorded).toMatchObject({ outcome: 'tool_failed', error_message: 'no such city' });
  });

  it('stops reading an answer past PLUGIN_OUTPUT_BYTES: 413 output_too_large, recorded, and the next call answers', async () => {
    const res = await invoke(pluginId, 'big', { input: { bytes: OUTPUT_BYTES * 4 } });
    expectError(res, 413, 'output_too_large');
    const [recorded] = await t.services.db('plugin_invocations').where({ id: res.body.error.invocationId });
    expect(recorded).toMatchObject({ plugin_id: pluginId, tool: 'big', outcome: 'output_too_large' });
    const small = await invoke(pluginId, 'big', { input: { bytes: 10 } });
    expect(small.body.data.output).toEqual({ content: [{ type: 'text', text: 'x'.repeat(10) }] });
  });

  it('is refused in a workspace that did not turn it on: 403 plugin_not_enabled', async () => {
    const workspace = await createWorkspace(t, user);
    const conversation = await createWorkspaceConversation(t, user, workspace.id);
    expectError(await invoke(pluginId, 'echo', { input: { text: 'x' }, conversationId: conversation.id }), 403, 'plugin_not_enabled');
  });

  it('offers the remote tools over /mcp, answered with the server’s own content', async () => {
    const mcp: McpTestServer = await startMcpServer(t);
    try {
      const client = await mcp.connect(user.accessToken);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining([mcpToolName(pluginId, 'echo'), mcpToolName(pluginId, 'shout')]),
      );
      const result = await callTool(client, mcpToolName(pluginId, 'echo'), { text: 'over mcp' });
      expect(result).toMatchObject({ content: [{ type: 'text', text: 'over mcp' }] });
      expect(result.isError).toBeFalsy();
      const recorded = await t.services.db('plugin_invocations').where({ plugin_id: pluginId, tool: 'echo', outcome: 'ok' });
      expect(recorded.length).toBeGreaterThanOrEqual(1);
    } finally {
      await mcp.close();
    }
  });

  it('the kill switch stops a remote call in flight: 409 plugin_disabled at once, and later calls are refused', async () => {
    const killable = await standIn();
    const id = await registerDefault(killable.url);
    const started = performance.now();
    const running = invoke(id, 'slow', { input: {} });
    const answered = running.then((res) => res);
    await waitUntil(() => killable.toolCalls.includes('slow'), 'the slow call reached the server');
    expect((await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ enabled: false })).status).toBe(200);
    const res = await answered;
    expectError(res, 409, 'plugin_disabled');
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    const [recorded] = await t.services.db('plugin_invocations').where({ plugin_id: id, tool: 'slow' });
    expect(recorded).toMatchObject({ outcome: 'plugin_disabled' });
    expectError(await invoke(id, 'echo', { input: { text: 'again' } }), 409, 'plugin_disabled');
  });

  /** Starts `slow` on a fresh server's plugin and waits until the server has the call. */
  async function slowCallInFlight() {
    const server = await standIn();
    const id = await registerDefault(server.url);
    const started = performance.now();
    const answered = invoke(id, 'slow', { input: {} }).then((res) => res);
    await waitUntil(() => server.toolCalls.includes('slow'), 'the slow call reached the server');
    return { id, answered, started };
  }

  it('uninstalling stops a remote call in flight too', async () => {
    const { id, answered, started } = await slowCallInFlight();
    expect((await t.request.delete(`/api/plugins/${id}`).set(bearer(operator))).status).toBe(204);
    expectError(await answered, 409, 'plugin_disabled');
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    expectError(await invoke(id, 'echo', { input: { text: 'gone' } }), 404, 'not_found');
  });

  it('another node’s kill switch (plugin.disabled on the bus) stops the call running here', async () => {
    const { id, answered, started } = await slowCallInFlight();
    await t.services.bus.publish('plugin.disabled', { pluginId: id, reason: 'disabled' });
    expectError(await answered, 409, 'plugin_disabled');
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('never writes the headers to a log line: not registering, calling, nor failing', async () => {
    const keyed = await startMcpStandIn({ failingTool: true });
    const id = await registerDefault(keyed.url, { 'X-Api-Key': 'key-that-must-not-be-logged' });
    expect((await invoke(id, 'echo', { input: { text: 'hi' } })).status).toBe(200);
    expectError(await invoke(id, 'fail', { input: { text: 'nope' } }), 422, 'tool_failed');
    await keyed.close();
    expectError(await invoke(id, 'echo', { input: { text: 'hi' } }), 502, 'remote_unreachable');
    expect(logs.lines.some((line) => line.includes('/api/plugins/remote'))).toBe(true);
    expect(logs.lines.join('\n')).not.toContain('key-that-must-not-be-logged');
  });

  it('a server gone since registration: the call is recorded as failed, 502 remote_unreachable', async () => {
    const vanishing = await startMcpStandIn();
    const id = await registerDefault(vanishing.url);
    await vanishing.close();
    expectError(await invoke(id, 'echo', { input: { text: 'anyone?' } }), 502, 'remote_unreachable');
    const [recorded] = await t.services.db('plugin_invocations').where({ plugin_id: id });
    expect(recorded).toMatchObject({ outcome: 'remote_unreachable' });
  });
});

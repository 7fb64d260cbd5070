import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@shared/plugins/package/index.ts';
import { grantOperator } from '@shared/operators.ts';
import { expectError } from '../../../test/assertions.ts';
import {
  addWorkspaceMember,
  bearer,
  captureLogs,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  recordEvents,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { FakeRuntime, PluginPackages, testManifest } from './plugins.fixtures.ts';
import { PLUGIN_PACKAGE_MAX_BYTES } from './plugins.routes.ts';

const RATE_LIMIT = 5;

describe('plugins API', () => {
  const key = generateSigningKey();
  const packages = new PluginPackages(key.privateKeyPem);
  const runtime = new FakeRuntime();
  let t: TestApp;
  let operator: TestUser;

  beforeAll(async () => {
    t = await startTestApp({
      env: { PLUGIN_TRUSTED_KEYS: key.publicKey, RATE_LIMIT_PLUGIN_PER_USER: String(RATE_LIMIT) },
      app: { plugins: { runtime } },
    });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
  });
  afterAll(async () => {
    await packages.fixtures.cleanup();
    await t?.close();
  });

  const upload = (user: TestUser, tgz: Buffer, query = '') =>
    t.request.post(`/api/plugins${query}`).set(bearer(user)).attach('package', tgz, 'plugin.tgz');
  const patch = (user: TestUser, id: string, body: Record<string, unknown>) =>
    t.request.patch(`/api/plugins/${id}`).set(bearer(user)).send(body);
  const invoke = (user: TestUser, id: string, tool: string, body: Record<string, unknown>) =>
    t.request.post(`/api/plugins/${id}/tools/${tool}/invoke`).set(bearer(user)).send(body);
  /** Installs a signed plugin as the operator; `isDefault` puts it in the default set. */
  async function install(overrides: Record<string, unknown> = {}, options: { isDefault?: boolean } = {}) {
    const manifest = testManifest(overrides);
    const res = await upload(operator, await packages.signed(manifest));
    expect(res.status).toBe(201);
    if (options.isDefault) expect((await patch(operator, String(manifest.id), { isDefault: true })).status).toBe(200);
    return { id: String(manifest.id), manifest };
  }

  it('documents the routes, the operator ones as operator-only', async () => {
    const { body } = await t.request.get('/api/openapi.json');
    for (const [path, method] of [
      ['/api/plugins', 'post'],
      ['/api/plugins/{id}', 'patch'],
      ['/api/plugins/{id}', 'delete'],
      ['/api/plugins/{id}/consent', 'post'],
      ['/api/plugins/{id}/invocations', 'get'],
    ] as const) {
      expect(body.paths[path][method]['x-required-role']).toBe('operator');
    }
    const install = body.paths['/api/plugins'].post;
    expect(Object.keys(install.requestBody.content)).toEqual(['multipart/form-data']);
    expect(Object.keys(install.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '403', '409', '413', '422']));
    const invokeOperation = body.paths['/api/plugins/{id}/tools/{tool}/invoke'].post;
    expect(invokeOperation['x-required-role']).toBeUndefined();
    expect(Object.keys(invokeOperation.responses)).toEqual(
      expect.arrayContaining(['200', '400', '403', '404', '409', '413', '422', '429', '502', '503', '504']),
    );
  });

  describe('installing', () => {
    it('installs a signed package and shows it to operators with its grants, and to people once in the default set', async () => {
      const manifest = testManifest({ permissions: ['conversations:read', 'storage'] });
      const res = await upload(operator, await packages.signed(manifest));
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({
        id: manifest.id,
        version: '1.0.0',
        enabled: true,
        isDefault: false,
        signatureLevel: 'signed',
        keyId: key.publicKey,
        permissions: ['conversations:read', 'storage'],
        grantedPermissions: ['conversations:read', 'storage'],
        pendingPermissions: [],
      });
      expect(res.body.data.tools.map((tool: { name: string }) => tool.name)).toEqual(['echo', 'wipe']);
      expect(res.body.data.tools[1].annotations).toEqual({ destructiveHint: true });

      const person = await registerUser(t);
      const listed = async (user: TestUser) =>
        ((await t.request.get('/api/plugins').set(bearer(user))).body.data as Array<{ id: string }>).find((p) => p.id === manifest.id);
      expect(await listed(operator)).toMatchObject({ grantedPermissions: ['conversations:read', 'storage'] });
      expect(await listed(person)).toBeUndefined();
      await patch(operator, String(manifest.id), { isDefault: true });
      const seen = await listed(person);
      expect(seen).toMatchObject({ id: manifest.id, enabled: true, signatureLevel: 'signed' });
      expect(seen).not.toHaveProperty('grantedPermissions');
    });

    it('refuses an install by someone who is not an operator with 403', async () => {
      const someone = await registerUser(t);
      expectError(await upload(someone, await packages.signed(testManifest())), 403, 'forbidden');
    });

    it('refuses an unsigned package, and one signed by a key it does not trust, with 422 plugin_signature', async () => {
      const unsigned = await upload(operator, await packages.unsigned(testManifest()));
      expectError(unsigned, 422, 'plugin_signature');
      expect(unsigned.body.error.level).toBe('unsigned');
      const stranger = generateSigningKey();
      const untrusted = await upload(operator, await packages.signed(testManifest(), stranger.privateKeyPem));
      expectError(untrusted, 422, 'plugin_signature');
      expect(untrusted.body.error.level).toBe('untrusted');
      const refusals = await t.services.db('audit_log').where({ action: 'plugin.install_refused', actor_id: operator.id });
      expect(refusals.map((row) => row.data.level)).toEqual(expect.arrayContaining(['unsigned', 'untrusted']));
    });

    it('refuses a package changed after it was signed', async () => {
      const res = await upload(operator, await packages.tampered(testManifest()));
      expectError(res, 422, 'plugin_signature');
      expect(res.body.error.level).toBe('modified');
    });

    it('refuses a plugin written for another host API with 422 plugin_host_api', async () => {
      expectError(await upload(operator, await packages.signed(testManifest({ hostApi: '^2.0.0' }))), 422, 'plugin_host_api');
    });

    it('refuses bytes that are not a package with 400 plugin_invalid, and an upload past the cap with 413', async () => {
      expectError(await upload(operator, Buffer.from('not a tarball at all')), 400, 'plugin_invalid');
      const res = await upload(operator, Buffer.alloc(PLUGIN_PACKAGE_MAX_BYTES + 1, 7));
      expect(res.status).toBe(413);
    });

    it('installs a new version that asks for more permissions disabled, with pendingPermissions, until consent', async () => {
      const { id, manifest } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      const events = recordEvents(t.services.bus, 'plugin.disabled');
      const update = await upload(
        operator,
        await packages.signed({ ...manifest, version: '1.1.0', permissions: ['conversations:read', 'llm'] }),
      );
      expect(update.status).toBe(200);
      expect(update.body.data).toMatchObject({
        version: '1.1.0',
        enabled: false,
        pendingPermissions: ['llm'],
        grantedPermissions: ['conversations:read'],
      });
      await events.waitFor((event) => event.pluginId === id && event.reason === 'pending_consent');
      events.stop();
      expectError(await invoke(person, id, 'echo', { input: { text: 'hi' } }), 409, 'plugin_disabled');
      expectError(await patch(operator, id, { enabled: true }), 409, 'consent_required');

      const consent = await t.request.post(`/api/plugins/${id}/consent`).set(bearer(operator));
      expect(consent.status).toBe(200);
      expect(consent.body.data).toMatchObject({ enabled: true, pendingPermissions: [], grantedPermissions: ['conversations:read', 'llm'] });
      expect((await invoke(person, id, 'echo', { input: { text: 'hi' } })).status).toBe(200);
      expect(runtime.invocations.at(-1)!.plugin).toMatchObject({ id, version: '1.1.0', permissions: ['conversations:read', 'llm'] });
    });

    it('keeps the enabled state when a new version asks for no more; refuses a version not newer unless forced', async () => {
      const { id, manifest } = await install({ permissions: ['conversations:read', 'storage'] });
      await patch(operator, id, { enabled: false });
      const update = await upload(operator, await packages.signed({ ...manifest, version: '2.0.0', permissions: ['storage'] }));
      expect(update.body.data).toMatchObject({ version: '2.0.0', enabled: false, pendingPermissions: [] });
      expectError(await upload(operator, await packages.signed({ ...manifest, version: '1.5.0' })), 409, 'plugin_version');
      expectError(await upload(operator, await packages.signed({ ...manifest, version: '2.0.0' })), 409, 'plugin_version');
      const forced = await upload(operator, await packages.signed({ ...manifest, version: '1.5.0' }), '?force=true');
      expect(forced.status).toBe(200);
      expect(forced.body.data.version).toBe('1.5.0');
    });
  });

  describe('the kill switch and uninstalling', () => {
    it('disabling stops the plugin, tells every node, and refuses new invocations', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      expect((await invoke(person, id, 'echo', { input: { text: 'before' } })).status).toBe(200);
      const events = recordEvents(t.services.bus, 'plugin.disabled');
      const res = await patch(operator, id, { enabled: false });
      expect(res.status).toBe(200);
      expect(res.body.data.enabled).toBe(false);
      expect(runtime.stopped).toContain(id);
      await events.waitFor((event) => event.pluginId === id && event.reason === 'disabled');
      events.stop();
      expectError(await invoke(person, id, 'echo', { input: { text: 'after' } }), 409, 'plugin_disabled');
      expectError(await patch(person, id, { enabled: true }), 403, 'forbidden');
    });

    it('answers a call cut short by an uninstall with 409 plugin_disabled, and keeps its audit row', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      runtime.answer = async () => {
        expect((await t.request.delete(`/api/plugins/${id}`).set(bearer(operator))).status).toBe(204);
        return { ok: false, error: { code: 'plugin_disabled', message: 'The plugin was stopped' }, durationMs: 7, coldStart: false };
      };
      try {
        expectError(await invoke(person, id, 'echo', { input: { text: 'x' } }), 409, 'plugin_disabled');
      } finally {
        runtime.answer = new FakeRuntime().answer;
      }
      const audits = await t.services.db('audit_log').where({ action: 'plugin.invoked', subject_id: id });
      expect(audits.map((row) => row.data.outcome)).toEqual(['plugin_disabled']);
    });

    it('stops a plugin here when another node disables it', async () => {
      const stopped = new Promise<void>((resolve) => {
        const stop = runtime.stopPlugin.bind(runtime);
        runtime.stopPlugin = async (pluginId: string) => {
          await stop(pluginId);
          if (pluginId === 'com.elsewhere.plugin') resolve();
        };
      });
      await t.services.bus.publish('plugin.disabled', { pluginId: 'com.elsewhere.plugin', reason: 'disabled' });
      await stopped;
      expect(runtime.stopped).toContain('com.elsewhere.plugin');
    });

    it('uninstalling removes the plugin, its storage and its workspace settings', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      await t.services.db('plugin_storage').insert({ plugin_id: id, user_id: person.id, key: 'k', value: '1', size: 1 });
      const res = await t.request.delete(`/api/plugins/${id}`).set(bearer(operator));
      expect(res.status).toBe(204);
      expect(runtime.stopped).toContain(id);
      expect(await t.services.db('plugins').where({ id })).toEqual([]);
      expect(await t.services.db('plugin_storage').where({ plugin_id: id })).toEqual([]);
      expectError(await invoke(person, id, 'echo', { input: { text: 'x' } }), 404, 'not_found');
      expectError(await t.request.delete(`/api/plugins/${id}`).set(bearer(operator)), 404, 'not_found');
    });
  });

  describe('workspaces', () => {
    it('lets a workspace admin enable a plugin; members invoke it in workspace conversations, others cannot', async () => {
      const { id } = await install();
      const [admin, member, outsider] = [await registerUser(t), await registerUser(t), await registerUser(t)];
      const workspace = await createWorkspace(t, admin);
      await addWorkspaceMember(t, workspace.id, member, 'member');
      const other = await createWorkspace(t, outsider);
      const conversation = await createWorkspaceConversation(t, admin, workspace.id);
      const body = { input: { text: 'team' }, conversationId: conversation.id };

      expectError(await invoke(member, id, 'echo', body), 403, 'plugin_not_enabled');
      const put = (user: TestUser, enabled: boolean) =>
        t.request.put(`/api/workspace/${workspace.id}/plugins/${id}`).set(bearer(user)).send({ enabled });
      expectError(await put(member, true), 403, 'forbidden');
      expectError(await put(outsider, true), 404, 'not_found');
      expect((await put(admin, true)).status).toBe(204);

      const res = await invoke(member, id, 'echo', body);
      expect(res.status).toBe(200);
      expect(res.body.data.output).toEqual({ echoed: { text: 'team' } });
      expect(runtime.invocations.at(-1)).toMatchObject({ conversationId: conversation.id, tool: 'echo' });
      expectError(await invoke(outsider, id, 'echo', body), 404, 'not_found');
      // Not in the outsider's workspace either.
      const theirs = await createWorkspaceConversation(t, outsider, other.id);
      expectError(await invoke(outsider, id, 'echo', { ...body, conversationId: theirs.id }), 403, 'plugin_not_enabled');

      const list = await t.request.get(`/api/plugins?workspaceId=${workspace.id}`).set(bearer(member));
      expect(list.body.data.map((plugin: { id: string }) => plugin.id)).toEqual([id]);
      const settings = await t.request.get(`/api/workspace/${workspace.id}/plugins`).set(bearer(member));
      expect(settings.body.data.find((plugin: { id: string }) => plugin.id === id)).toMatchObject({ workspaceEnabled: true });
      expectError(await t.request.get(`/api/plugins?workspaceId=${workspace.id}`).set(bearer(outsider)), 404, 'not_found');
    });
  });

  describe('invoking', () => {
    it('refuses a personal conversation the caller cannot read with 404, and a plugin outside the default set with 403', async () => {
      const { id } = await install({}, { isDefault: true });
      const [owner, stranger] = [await registerUser(t), await registerUser(t)];
      const conversation = await createConversation(t, owner);
      expectError(await invoke(stranger, id, 'echo', { input: { text: 'x' }, conversationId: conversation.id }), 404, 'not_found');
      expect((await invoke(owner, id, 'echo', { input: { text: 'x' }, conversationId: conversation.id })).status).toBe(200);
      const other = await install();
      expectError(await invoke(owner, other.id, 'echo', { input: { text: 'x' } }), 403, 'plugin_not_enabled');
      expectError(await invoke(owner, id, 'nope', { input: {} }), 404, 'tool_not_found');
    });

    it('refuses input that fails the tool schema with 400 naming the field', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      const missing = await invoke(person, id, 'echo', { input: {} });
      expectError(missing, 400, 'validation_failed');
      expect(missing.body.error.fields).toEqual([{ field: 'input.text', message: expect.stringContaining('text') }]);
      const tooLong = await invoke(person, id, 'echo', { input: { text: 'x'.repeat(101) } });
      expectError(tooLong, 400, 'validation_failed');
      expect(tooLong.body.error.message).toMatch(/^input\.text: /);
    });

    it('asks for confirmation before a destructive tool runs', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      const before = runtime.invocations.length;
      expectError(await invoke(person, id, 'wipe', { input: {} }), 409, 'confirmation_required');
      expect(runtime.invocations.length).toBe(before);
      expect((await invoke(person, id, 'wipe', { input: {}, confirm: true })).status).toBe(200);
    });

    it('limits calls per plugin and user with 429 and Retry-After', async () => {
      const { id } = await install({}, { isDefault: true });
      const [person, other] = [await registerUser(t), await registerUser(t)];
      for (let n = 0; n < RATE_LIMIT; n++) expect((await invoke(person, id, 'echo', { input: { text: 'x' } })).status).toBe(200);
      const limited = await invoke(person, id, 'echo', { input: { text: 'x' } });
      expectError(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await invoke(other, id, 'echo', { input: { text: 'x' } })).status).toBe(200);
    });

    it('records every call, refused by the runtime or not, in plugin_invocations and the audit log', async () => {
      const { id } = await install({}, { isDefault: true });
      const person = await registerUser(t);
      const ok = await invoke(person, id, 'echo', { input: { text: 'x' } });
      expect(ok.body.data).toEqual({ output: { echoed: { text: 'x' } }, durationMs: 3, invocationId: expect.any(String) });
      runtime.answer = () => ({
        ok: false,
        error: { code: 'timeout', message: 'The tool ran past 5000 ms' },
        durationMs: 5000,
        coldStart: false,
      });
      try {
        const timedOut = await invoke(person, id, 'echo', { input: { text: 'y' } });
        expectError(timedOut, 504, 'plugin_timeout');
        expect(timedOut.body.error.invocationId).toEqual(expect.any(String));
      } finally {
        runtime.answer = new FakeRuntime().answer;
      }
      runtime.answer = () => Promise.reject(new Error('worker crashed'));
      try {
        expectError(await invoke(person, id, 'echo', { input: { text: 'z' } }), 502, 'plugin_runtime_failed');
      } finally {
        runtime.answer = new FakeRuntime().answer;
      }
      const rows = await t.services.db('plugin_invocations').where({ plugin_id: id }).orderBy('started_at');
      expect(rows.map((row) => [row.tool, row.outcome, row.user_id])).toEqual([
        ['echo', 'ok', person.id],
        ['echo', 'timeout', person.id],
        ['echo', 'runtime_error', person.id],
      ]);
      const audits = await t.services.db('audit_log').where({ action: 'plugin.invoked', subject_id: id });
      expect(audits.map((row) => row.data.outcome).sort()).toEqual(['ok', 'runtime_error', 'timeout']);

      const listed = await t.request.get(`/api/plugins/${id}/invocations`).set(bearer(operator));
      expect(listed.body.data.map((row: { outcome: string }) => row.outcome)).toEqual(['runtime_error', 'timeout', 'ok']);
      expectError(await t.request.get(`/api/plugins/${id}/invocations`).set(bearer(person)), 403, 'forbidden');
    });
  });
});

describe('plugins API with PLUGIN_ALLOW_UNSIGNED and no runtime', () => {
  const packages = new PluginPackages(generateSigningKey().privateKeyPem);
  let t: TestApp;
  let operator: TestUser;

  const logs = captureLogs();

  beforeAll(async () => {
    t = await startTestApp({ env: { PLUGIN_ALLOW_UNSIGNED: 'true' }, log: logs.log, app: { plugins: { runtime: null } } });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
  });
  afterAll(async () => {
    await packages.fixtures.cleanup();
    await t?.close();
  });
  const upload = (tgz: Buffer) => t.request.post('/api/plugins').set(bearer(operator)).attach('package', tgz, 'plugin.tgz');

  it('warns at startup that unsigned packages can be installed', () => {
    const warnings = logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toContainEqual(expect.stringContaining('PLUGIN_ALLOW_UNSIGNED is on'));
  });

  it('installs an unsigned package, still refuses a tampered one, and answers 503 on invoke without a runtime', async () => {
    const manifest = testManifest();
    const res = await upload(await packages.unsigned(manifest));
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ signatureLevel: 'unsigned', keyId: null });
    expectError(await upload(await packages.tampered(testManifest())), 422, 'plugin_signature');
    await t.request
      .patch(`/api/plugins/${String(manifest.id)}`)
      .set(bearer(operator))
      .send({ isDefault: true });
    const invoked = await t.request
      .post(`/api/plugins/${String(manifest.id)}/tools/echo/invoke`)
      .set(bearer(operator))
      .send({ input: { text: 'x' } });
    expectError(invoked, 503, 'plugins_unavailable');
  });
});

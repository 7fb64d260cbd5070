import crypto from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '@shared/errors.ts';
import { createRateLimiter } from '@shared/rateLimit.ts';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { HoldUploadsInMemory } from '../images/HoldUploadsInMemory.ts';
import { consentToPlugin } from './consentToPlugin.ts';
import { installPlugin } from './installPlugin.ts';
import { listPluginsForActor } from './listPluginsForActor.ts';
import { presentInvocation, presentPlugin } from './plugin.presenter.ts';
import { listInvocations } from './plugins.repo.ts';
import {
  InstallPluginSchema,
  InvocationSchema,
  ListInvocationsSchema,
  ListPluginsSchema,
  PluginIdSchema,
  PluginSchema,
  UpdatePluginSchema,
} from './plugins.schemas.ts';
import { pluginToolRoutes } from './pluginTools.routes.ts';
import { RemotePluginCalls } from './RemotePluginCalls.ts';
import { remotePluginRoutes } from './remotePlugins.routes.ts';
import { resolveJwtSecret } from '@shared/auth.ts';
import { headerSealingKey } from '@shared/plugins/remote/sealedHeaders.ts';
import { PluginRuntime } from '@shared/plugins/runtime/PluginRuntime.ts';
import type { McpToolSource } from '../mcp/McpToolSource.ts';
import { createPluginToolSource } from './pluginToolSource.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import { pluginVerifyOptions } from './pluginVerifyOptions.ts';
import { uninstallPlugin } from './uninstallPlugin.ts';
import { updatePlugin } from './updatePlugin.ts';

const tag = 'plugins';

/** Largest package upload (.tgz) accepted, in bytes; unpacked, a package may hold up to 20 MiB. */
export const PLUGIN_PACKAGE_MAX_BYTES = 10 * 1024 * 1024;

/** What the plugin routes are built with beyond the services. */
export interface PluginRouteOptions {
  /**
   * Where tools run: by default a PluginRuntime of PLUGIN_WORKERS worker processes, forked at the first
   * invocation; `null` for none (invoking answers 503 `plugins_unavailable`).
   */
  runtime?: PluginRuntimePort | null;
}

/** Plugins: signed packages operators install, remote MCP servers they register, people's tools, and the kill switch. */
export function pluginRoutes(api: ApiRouter, services: Services, options: PluginRouteOptions = {}): McpToolSource {
  const { db, bus, config, log } = services;
  const runtime = options.runtime === undefined ? createRuntime(services) : (options.runtime ?? undefined);
  if (config.PLUGIN_ALLOW_UNSIGNED) {
    log.warn(
      { module: 'plugins' },
      'PLUGIN_ALLOW_UNSIGNED is on: plugin packages nobody signed, or signed by untrusted keys, can be installed',
    );
  }
  if (runtime) {
    // Another node disabled or removed a plugin: stop what it runs here too.
    const stop = bus.subscribe('plugin.disabled', ({ pluginId }) => runtime.stopPlugin(pluginId));
    services.beforeClose(async () => stop());
  }
  const packages = new HoldUploadsInMemory();
  const limiter = createRateLimiter(
    { name: 'plugin-user', points: config.RATE_LIMIT_PLUGIN_PER_USER, durationSeconds: 60 },
    { redis: services.redis, prefix: config.REDIS_PREFIX },
  );
  // Remote MCP servers' tools are called from this process; the kill switch reaches their calls too.
  const sealingKey = headerSealingKey(resolveJwtSecret(config));
  const remote = new RemotePluginCalls({ db, config, sealingKey, log });
  const stopRemote = bus.subscribe('plugin.disabled', ({ pluginId }) => remote.stopPlugin(pluginId));
  services.beforeClose(async () => {
    stopRemote();
    await remote.close();
  });
  const deps = { db, bus, runtime, remote };

  api.route(
    {
      method: 'get',
      path: '/api/plugins',
      tag,
      summary:
        'Plugins you may use: with `workspaceId`, the set the workspace turned on; otherwise the default set. ' +
        'Operators see every installed plugin, with what was granted and what waits for consent',
      request: ListPluginsSchema,
      errors: [404],
      responses: { 200: { description: 'The plugins', schema: dataOf(z.array(PluginSchema)) } },
    },
    async (req, res) => {
      const { plugins, isOperator } = await listPluginsForActor(db, { actor: req.actor, workspaceId: req.input.query.workspaceId });
      res.json({ data: plugins.map((plugin) => presentPlugin(plugin, { isOperator })) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/plugins',
      tag,
      auth: 'operator',
      summary:
        'Install a plugin package (multipart `package`, a .tgz), verified against PLUGIN_TRUSTED_KEYS. A new version that asks ' +
        'for more permissions is installed disabled until consent; one not newer than the installed version needs `force=true`',
      request: InstallPluginSchema,
      errors: [409, 422],
      upload: {
        field: 'package',
        maxBytes: PLUGIN_PACKAGE_MAX_BYTES,
        accept: 'any',
        storage: packages,
        key: () => `plugin-package/${crypto.randomUUID()}`,
      },
      responses: {
        201: { description: 'Installed', schema: dataOf(PluginSchema) },
        200: { description: 'A new version of an installed plugin', schema: dataOf(PluginSchema) },
      },
    },
    async (req, res) => {
      const tgz = packages.take(req.upload!.key);
      if (!tgz) throw new NotFoundError('The upload is no longer held');
      const props = { actor: req.actor, tgz, verify: pluginVerifyOptions(config), force: req.input.query.force, ip: req.ip };
      const { plugin, created } = await installPlugin(deps, props);
      res.status(created ? 201 : 200).json({ data: presentPlugin(plugin, { isOperator: true }) });
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/plugins/:id',
      tag,
      auth: 'operator',
      summary: 'Enable or disable a plugin everywhere (the kill switch: running calls stop on every node), or put it in the default set',
      request: UpdatePluginSchema,
      errors: [404, 409],
      responses: { 200: { description: 'Updated', schema: dataOf(PluginSchema) } },
    },
    async (req, res) => {
      const plugin = await updatePlugin(deps, { actor: req.actor, pluginId: req.input.params.id, ...req.input.body, ip: req.ip });
      res.json({ data: presentPlugin(plugin, { isOperator: true }) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/plugins/:id/consent',
      tag,
      auth: 'operator',
      summary: 'Grant every permission the installed version asks for, and enable it',
      request: PluginIdSchema,
      errors: [404],
      responses: { 200: { description: 'Granted and enabled', schema: dataOf(PluginSchema) } },
    },
    async (req, res) => {
      const plugin = await consentToPlugin(db, { actor: req.actor, pluginId: req.input.params.id, ip: req.ip });
      res.json({ data: presentPlugin(plugin, { isOperator: true }) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/plugins/:id',
      tag,
      auth: 'operator',
      summary: 'Uninstall a plugin: it stops everywhere, and its workspace settings, storage and invocation records go',
      request: PluginIdSchema,
      errors: [404],
      responses: { 204: { description: 'Uninstalled' } },
    },
    async (req, res) => {
      await uninstallPlugin(deps, { actor: req.actor, pluginId: req.input.params.id, ip: req.ip });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/plugins/:id/invocations',
      tag,
      auth: 'operator',
      summary: "A plugin's recent tool calls, newest first, with how each ended",
      request: ListInvocationsSchema,
      responses: { 200: { description: 'The calls', schema: dataOf(z.array(InvocationSchema)) } },
    },
    async (req, res) => {
      const rows = await listInvocations(db, req.input.params.id, req.input.query.limit);
      res.json({ data: rows.map(presentInvocation) });
    },
  );

  remotePluginRoutes(api, services, { sealingKey });
  pluginToolRoutes(api, services, { runtime, remote, limiter });
  // The same tools over MCP (/mcp), through the same command.
  return createPluginToolSource({ services, runtime, remote, limiter });
}

/** The plugin runtime of this API process, closed with it; its workers start at the first invocation. */
function createRuntime(services: Services): PluginRuntime {
  const { config } = services;
  const runtime = new PluginRuntime({
    workers: config.PLUGIN_WORKERS,
    log: services.log,
    sandboxUid: config.CODE_EXEC_SANDBOX_UID,
    defaults: { timeoutMs: config.PLUGIN_TIMEOUT_MS, memoryMiB: config.PLUGIN_MEMORY_MIB, outputBytes: config.PLUGIN_OUTPUT_BYTES },
  });
  services.beforeClose(() => runtime.close());
  return runtime;
}

import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { findWorkspaceForActor } from '../workspaces/findWorkspaceForActor.ts';
import { invokeToolInConversation } from './invokeToolInConversation.ts';
import { presentPlugin } from './plugin.presenter.ts';
import { listPluginsForWorkspace } from './plugins.repo.ts';
import { InvokeResultSchema, InvokeToolSchema, PluginSchema, SetWorkspacePluginSchema, WorkspacePluginsSchema } from './plugins.schemas.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import type { RemotePluginCalls } from './RemotePluginCalls.ts';
import { RUNTIME_ERROR_STATUSES } from './runtimeErrors.ts';
import { setWorkspacePlugin } from './setWorkspacePlugin.ts';

const tag = 'plugins';

/** Running tools, and which plugins a workspace's conversations may use. */
export function pluginToolRoutes(
  api: ApiRouter,
  services: Services,
  options: { runtime?: PluginRuntimePort; remote?: RemotePluginCalls; limiter: RateLimiterAbstract },
): void {
  const { db } = services;

  api.route(
    {
      method: 'post',
      path: '/api/plugins/:id/tools/:tool/invoke',
      tag,
      summary:
        "Run a plugin's tool, in a conversation you can read or none. The plugin must be enabled and in the workspace's set " +
        '(or, for personal conversations and none, the default set); input is checked against the tool’s inputSchema; a tool ' +
        'marked destructiveHint needs `confirm: true`. Every call that runs is recorded with how it ended. With `post: true`, ' +
        'the result is posted in the conversation as a `tool` message (write access needed; a failing call posts nothing)',
      request: InvokeToolSchema,
      errors: [403, 404, 409, 429, 503, ...RUNTIME_ERROR_STATUSES],
      responses: { 200: { description: 'What the tool returned', schema: dataOf(InvokeResultSchema) } },
    },
    async (req, res) => {
      const { id, tool } = req.input.params;
      const result = await invokeToolInConversation(
        { services, runtime: options.runtime, remote: options.remote, limiter: options.limiter },
        { actor: req.actor, pluginId: id, tool, ...req.input.body, ip: req.ip },
      );
      res.json({ data: result });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/workspace/:id/plugins',
      tag,
      summary: 'Every installed plugin, with whether this workspace turned it on (members)',
      request: WorkspacePluginsSchema,
      errors: [404],
      responses: { 200: { description: 'The plugins', schema: dataOf(z.array(PluginSchema)) } },
    },
    async (req, res) => {
      await findWorkspaceForActor(db, req.actor, req.input.params.id, 'read');
      const rows = await listPluginsForWorkspace(db, req.input.params.id);
      res.json({ data: rows.map((row) => presentPlugin(row, { isOperator: false })) });
    },
  );

  api.route(
    {
      method: 'put',
      path: '/api/workspace/:id/plugins/:pluginId',
      tag,
      summary: "Turn an installed plugin on or off for the workspace's conversations (admins)",
      request: SetWorkspacePluginSchema,
      errors: [403, 404],
      responses: { 204: { description: 'Set' } },
    },
    async (req, res) => {
      const { id, pluginId } = req.input.params;
      await setWorkspacePlugin(db, { actor: req.actor, workspaceId: id, pluginId, enabled: req.input.body.enabled });
      res.status(204).end();
    },
  );
}

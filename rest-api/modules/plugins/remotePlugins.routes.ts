import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { presentPlugin } from './plugin.presenter.ts';
import { PluginSchema } from './plugins.schemas.ts';
import { registerRemotePlugin } from './registerRemotePlugin.ts';
import { RegisterRemotePluginSchema } from './remotePlugins.schemas.ts';

/** Remote MCP servers that operators register as plugins. */
export function remotePluginRoutes(api: ApiRouter, services: Services, options: { sealingKey: Buffer }): void {
  const deps = { db: services.db, config: services.config, sealingKey: options.sealingKey };

  api.route(
    {
      method: 'post',
      path: '/api/plugins/remote',
      tag: 'plugins',
      auth: 'operator',
      summary:
        'Register a remote MCP server (Streamable HTTP) as a plugin, on a host listed in PLUGIN_REMOTE_HOSTS (400 ' +
        '`host_not_allowed` otherwise). Its tools are listed now (502 `remote_unreachable` when it cannot be reached or does ' +
        'not speak MCP) and offered like any plugin’s: same enablement, sets, limits and records; a call answers `output` ' +
        '`{ content, structuredContent? }` as the server gave them. Registering the same URL again refreshes its tools',
      request: RegisterRemotePluginSchema,
      errors: [409, 502],
      responses: {
        201: { description: 'Registered', schema: dataOf(PluginSchema) },
        200: { description: 'Registered before: its name, version and tools refreshed', schema: dataOf(PluginSchema) },
      },
    },
    async (req, res) => {
      const { plugin, created } = await registerRemotePlugin(deps, { actor: req.actor, ...req.input.body, ip: req.ip });
      res.status(created ? 201 : 200).json({ data: presentPlugin(plugin, { isOperator: true }) });
    },
  );
}

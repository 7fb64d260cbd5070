import type { Knex } from 'knex';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Config } from '@shared/config.ts';
import { AppError, ConflictError } from '@shared/errors.ts';
import { allowedRemoteUrl, RemoteMcpServer } from '@shared/plugins/remote/RemoteMcpServer.ts';
import { openHeaders, sealHeaders } from '@shared/plugins/remote/sealedHeaders.ts';
import {
  findPlugin,
  findRemoteEndpoint,
  findRemotePluginByUrl,
  insertPlugin,
  isPluginIdTaken,
  updatePluginRow,
  type PluginRow,
} from './plugins.repo.ts';
import { displayedRemoteUrl, pluginToolOf, remoteManifest, remotePluginId } from './remoteManifest.ts';

interface Deps {
  db: Knex;
  config: Pick<Config, 'PLUGIN_REMOTE_HOSTS' | 'PLUGIN_TIMEOUT_MS' | 'PLUGIN_OUTPUT_BYTES'>;
  /** Seals the headers at rest (sealedHeaders.ts). */
  sealingKey: Buffer;
}

interface Props {
  /** The operator registering it. */
  actor: Actor;
  /** The server's MCP endpoint (Streamable HTTP), on a host in PLUGIN_REMOTE_HOSTS. */
  url: string;
  /** Sent with every request to it; when left out on a registration again, the stored ones are kept. */
  headers?: Record<string, string>;
  ip?: string;
}

/**
 * Registers a remote MCP server as a plugin, or refreshes one registered before at the same URL. The
 * server is asked who it is and what tools it offers before anything is stored: a host outside
 * PLUGIN_REMOTE_HOSTS is 400 `host_not_allowed`; a server that cannot be reached or does not speak MCP
 * is 502 `remote_unreachable`. A new one is enabled (an operator chose it) but in no set yet, like a
 * package; a refreshed one keeps its enabled and default state and gets the tools the server lists now.
 */
export async function registerRemotePlugin(deps: Deps, props: Props): Promise<{ plugin: PluginRow; created: boolean }> {
  const url = allowedRemoteUrl(props.url, deps.config.PLUGIN_REMOTE_HOSTS);
  const registered = await findRemotePluginByUrl(deps.db, url.href);
  const headers = props.headers ?? (registered ? await storedHeaders(deps, registered.id, url.href) : {});
  const { info, tools } = await describeServer(deps, url, headers);
  const usable = tools.flatMap((tool) => pluginToolOf(tool) ?? []);
  const skippedTools = tools.map((tool) => tool.name).filter((name) => !usable.some((tool) => tool.name === name));
  const fields = {
    name: (info?.name || url.hostname).slice(0, 100),
    version: (info?.version || '0.0.0').slice(0, 64),
    publisher: url.host,
    // The host only: everyone who may use the plugin reads its description, and a path may carry a key.
    description: `Remote MCP server at ${url.host}`,
  };
  const sealed = Object.keys(headers).length > 0 ? sealHeaders(deps.sealingKey, headers, url.href) : null;

  return deps.db.transaction(async (trx) => {
    const existing = registered ? await findPlugin(trx, registered.id, { forUpdate: true }) : undefined;
    const id = existing?.id ?? remotePluginId(url, await isPluginIdTaken(trx, remotePluginId(url, false)));
    const manifest = remoteManifest({ id, ...fields, tools: usable });
    const plugin = existing
      ? await updatePluginRow(trx, id, { ...fields, manifest, remote_headers: sealed })
      : await insertPlugin(trx, {
          id,
          ...fields,
          manifest,
          remote_headers: sealed,
          kind: 'remote',
          remote_url: url.href,
          source: null,
          signature_level: 'remote',
          key_id: null,
          permissions: [],
          granted_permissions: [],
          enabled: true,
          is_default: false,
          installed_by: props.actor.id,
        });
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: existing ? 'plugin.remote_updated' : 'plugin.remote_registered',
      subjectType: 'plugin',
      subjectId: id,
      ip: props.ip,
      // Header names say which credentials were given; their values never leave the sealed column.
      data: {
        url: displayedRemoteUrl(url.href),
        version: plugin.version,
        tools: usable.map((tool) => tool.name),
        skippedTools,
        headerNames: Object.keys(headers),
      },
    });
    return { plugin, created: !existing };
  });
}

/** The server's name and version and its tools, over a connection made for this and closed after. */
async function describeServer(deps: Deps, url: URL, headers: Record<string, string>) {
  const server = new RemoteMcpServer({
    url: url.href,
    headers,
    timeoutMs: deps.config.PLUGIN_TIMEOUT_MS,
    maxBytes: deps.config.PLUGIN_OUTPUT_BYTES,
    allowedHosts: deps.config.PLUGIN_REMOTE_HOSTS,
  });
  try {
    const info = await server.serverInfo();
    const tools: Tool[] = await server.listTools();
    return { info, tools };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // RemoteMcpServer's messages name the host already.
    throw new AppError(502, 'remote_unreachable', `Could not register the MCP server: ${reason}`);
  } finally {
    await server.close();
  }
}

/** The headers registered before, for a registration again that leaves them out. */
async function storedHeaders(deps: Deps, id: string, url: string): Promise<Record<string, string>> {
  const sealed = (await findRemoteEndpoint(deps.db, id))?.remote_headers;
  if (!sealed) return {};
  try {
    return openHeaders(deps.sealingKey, sealed, url);
  } catch {
    throw new ConflictError('The stored headers cannot be read any more (the secret changed); send headers again', 'headers_unreadable');
  }
}

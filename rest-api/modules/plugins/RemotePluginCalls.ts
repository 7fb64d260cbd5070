import type { Knex } from 'knex';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '@shared/config.ts';
import { AppError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { RemoteMcpServer } from '@shared/plugins/remote/RemoteMcpServer.ts';
import { openHeaders } from '@shared/plugins/remote/sealedHeaders.ts';
import { findRemoteEndpoint, type ListedPluginRow } from './plugins.repo.ts';
import type { InvocationErrorCode } from './runtimeErrors.ts';

type Ending = { ok: true; output: RemoteToolOutput } | { ok: false; error: { code: InvocationErrorCode; message: string } };

/** How a remote call ended, in the shape the runtime answers for packages. */
export type RemoteCallResult = Ending & { durationMs: number; coldStart: boolean };

/** A remote tool's answer as the API returns it: the MCP result's content, and its structured content when given. */
export type RemoteToolOutput = Pick<CallToolResult, 'content' | 'structuredContent'>;

interface Options {
  db: Knex;
  config: Pick<Config, 'PLUGIN_REMOTE_HOSTS' | 'PLUGIN_TIMEOUT_MS' | 'PLUGIN_OUTPUT_BYTES'>;
  /** Opens the stored headers (sealedHeaders.ts). */
  sealingKey: Buffer;
  log: Logger;
}

/** The codes RemoteMcpServer fails with, as an invocation records them. */
const OUTCOMES: Record<string, InvocationErrorCode> = { remote_timeout: 'timeout', output_too_large: 'output_too_large' };

/**
 * Calls the tools of remote MCP servers registered as plugins, for this API process. One connection per
 * plugin, kept while its registration is unchanged (a new registration connects again, with the new
 * headers). Each call has PLUGIN_TIMEOUT_MS and PLUGIN_OUTPUT_BYTES as limits, and the kill switch
 * (`stopPlugin`) aborts the calls still running.
 */
export class RemotePluginCalls {
  /** One connection per plugin, for its latest registration; a promise, so concurrent first calls share it. */
  private readonly servers = new Map<string, { registeredAt: number; server: Promise<RemoteMcpServer> }>();
  private readonly running = new Map<string, Set<AbortController>>();

  constructor(private readonly options: Options) {}

  async invoke(plugin: ListedPluginRow, tool: string, input: Record<string, unknown>): Promise<RemoteCallResult> {
    const startedAt = performance.now();
    const controller = new AbortController();
    const running = this.running.get(plugin.id) ?? new Set();
    this.running.set(plugin.id, running.add(controller));
    let coldStart = false;
    const ended = (result: Ending): RemoteCallResult => ({ ...result, durationMs: performance.now() - startedAt, coldStart });
    try {
      const connection = await this.serverFor(plugin);
      coldStart = connection.isNew;
      const result = await connection.server.callTool(tool, input, controller.signal);
      if (result.isError) return ended({ ok: false, error: { code: 'tool_failed', message: textOf(result) || 'The tool failed' } });
      const output: RemoteToolOutput = { content: result.content };
      if (result.structuredContent) output.structuredContent = result.structuredContent;
      return ended({ ok: true, output });
    } catch (error) {
      if (controller.signal.aborted) {
        return ended({ ok: false, error: { code: 'plugin_disabled', message: 'The plugin was disabled while the call ran' } });
      }
      const failure = error instanceof AppError ? error : new AppError(502, 'remote_failed', 'The remote server failed');
      if (!(error instanceof AppError)) this.options.log.error({ err: error, pluginId: plugin.id, tool }, 'remote plugin call failed');
      return ended({ ok: false, error: { code: OUTCOMES[failure.code] ?? 'remote_unreachable', message: failure.message } });
    } finally {
      running.delete(controller);
      if (running.size === 0) this.running.delete(plugin.id);
    }
  }

  /** The kill switch, here: aborts the plugin's running calls and drops its connection. */
  async stopPlugin(pluginId: string): Promise<void> {
    for (const controller of this.running.get(pluginId) ?? []) controller.abort();
    const held = this.servers.get(pluginId);
    this.servers.delete(pluginId);
    await closeQuietly(held?.server);
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((pluginId) => this.stopPlugin(pluginId)));
  }

  /**
   * The plugin's connection, made again when it was registered again since (its URL or headers may
   * differ). A call that read the plugin before a newer registration uses the newer connection.
   */
  private async serverFor(plugin: ListedPluginRow): Promise<{ server: RemoteMcpServer; isNew: boolean }> {
    const registeredAt = new Date(plugin.updated_at).getTime();
    const held = this.servers.get(plugin.id);
    if (held && held.registeredAt >= registeredAt) return { server: await held.server, isNew: false };
    const entry = { registeredAt, server: this.connect(plugin.id) };
    this.servers.set(plugin.id, entry);
    void closeQuietly(held?.server);
    try {
      return { server: await entry.server, isNew: true };
    } catch (error) {
      if (this.servers.get(plugin.id) === entry) this.servers.delete(plugin.id);
      throw error;
    }
  }

  /** A client for the plugin's stored URL and headers (it connects on its first request). */
  private async connect(pluginId: string): Promise<RemoteMcpServer> {
    const endpoint = await findRemoteEndpoint(this.options.db, pluginId);
    if (!endpoint) throw new AppError(404, 'not_found', 'Plugin not found');
    return new RemoteMcpServer({
      url: endpoint.remote_url,
      headers: this.headersOf(endpoint),
      timeoutMs: this.options.config.PLUGIN_TIMEOUT_MS,
      maxBytes: this.options.config.PLUGIN_OUTPUT_BYTES,
      allowedHosts: this.options.config.PLUGIN_REMOTE_HOSTS,
    });
  }

  private headersOf(endpoint: { remote_url: string; remote_headers: string | null }): Record<string, string> {
    if (!endpoint.remote_headers) return {};
    try {
      return openHeaders(this.options.sealingKey, endpoint.remote_headers, endpoint.remote_url);
    } catch {
      // The JWT secret changed since the server was registered: its headers cannot be read any more.
      throw new AppError(502, 'remote_failed', 'The stored headers cannot be read (the secret changed?); register the server again');
    }
  }
}

async function closeQuietly(server: Promise<RemoteMcpServer> | undefined): Promise<void> {
  await server?.then((connected) => connected.close()).catch(() => {});
}

/** The text parts of a result, joined: what a failing tool said. */
function textOf(result: CallToolResult): string {
  return result.content
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join('\n')
    .slice(0, 1_000);
}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../../errors.ts';
import { cappedFetch } from './cappedFetch.ts';

export interface RemoteServerOptions {
  url: string;
  /** Sent with every request (an API key, say); never logged, never shown back. */
  headers?: Record<string, string>;
  /** Per request (connect, list, call). */
  timeoutMs: number;
  /** Largest response body taken from the server. */
  maxBytes: number;
  /** PLUGIN_REMOTE_HOSTS: hosts (`name` or `name:port`) operators may register. */
  allowedHosts: readonly string[];
}

/** The URL of a remote MCP server, if its host is one operators may register; 400 `host_not_allowed` otherwise. */
export function allowedRemoteUrl(url: string, allowedHosts: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError(400, 'validation_failed', 'url: not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AppError(400, 'validation_failed', 'url: http or https only');
  if (parsed.username || parsed.password) throw new AppError(400, 'validation_failed', 'url: credentials go in headers, not in the URL');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const isAllowed = allowedHosts.some((allowed) => allowed === host || allowed === `${host}:${parsed.port}` || allowed === parsed.host);
  if (!isAllowed) {
    throw new AppError(
      400,
      'host_not_allowed',
      `${parsed.host} is not in PLUGIN_REMOTE_HOSTS (the hosts operators may register remote MCP servers on)`,
    );
  }
  return parsed;
}

/**
 * One operator-registered MCP server, reached with the official SDK's client over Streamable HTTP. The
 * connection (MCP's initialize handshake) is made on first use and kept; a failure drops it, and the next
 * use connects again. Responses are capped in bytes while they stream in, redirects are refused (a
 * registered host must not hand us to another), and every request has a deadline.
 */
export class RemoteMcpServer {
  private readonly url: URL;
  private client?: Promise<Client>;

  constructor(private readonly options: RemoteServerOptions) {
    this.url = allowedRemoteUrl(options.url, options.allowedHosts);
  }

  async listTools(signal?: AbortSignal): Promise<Tool[]> {
    return this.use(async (client) => {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, this.requestOptions(signal));
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 1_000);
      return tools;
    });
  }

  /** The name and version the server reported when it connected (MCP's serverInfo). */
  async serverInfo(): Promise<{ name: string; version: string } | undefined> {
    return this.use(async (client) => client.getServerVersion());
  }

  async callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    return this.use(async (client) => {
      const result = await client.callTool({ name, arguments: args }, undefined, this.requestOptions(signal));
      return result as CallToolResult;
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((connected) => connected.close()).catch(() => {});
  }

  private requestOptions(signal?: AbortSignal) {
    return { timeout: this.options.timeoutMs, ...(signal ? { signal } : {}) };
  }

  private async use<T>(work: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await work(await this.connect());
    } catch (error) {
      await this.close();
      throw remoteError(error, this.url);
    }
  }

  private connect(): Promise<Client> {
    return (this.client ??= (async () => {
      const client = new Client({ name: 'twinmcp-collab', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(this.url, {
        requestInit: { headers: this.options.headers ?? {}, redirect: 'error' },
        fetch: cappedFetch(this.options.maxBytes),
      });
      await client.connect(transport, { timeout: this.options.timeoutMs });
      return client;
    })());
  }
}

/** What a caller is told when a remote server fails: which server, and why, without its headers. */
function remoteError(error: unknown, url: URL): AppError {
  if (error instanceof AppError) return error;
  // Read by shape, not instanceof: fetch's errors may come from another realm (jest's vm modules).
  const failure = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  // fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, a TLS error) is in its cause.
  const cause = failure.cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const message = (typeof failure.message === 'string' ? failure.message : String(error)) + (why ? ` (${why})` : '');
  if (/timed out|timeout/i.test(message)) return new AppError(504, 'remote_timeout', `${url.host} did not answer in time`);
  if (/response_too_large/.test(message)) return new AppError(502, 'output_too_large', `${url.host} answered more than the size cap`);
  return new AppError(502, 'remote_failed', `${url.host}: ${message.slice(0, 300)}`);
}

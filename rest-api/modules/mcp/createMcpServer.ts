import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Counter } from 'prom-client';
import type { Principal } from '@shared/access/index.ts';
import { AppError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import type { McpToolDescriptor, McpToolSource } from './McpToolSource.ts';

/** How a call ended: answered, answered as an `isError` result (refused, not found, bad input), or failed unexpectedly. */
export type McpCallOutcome = 'ok' | 'tool_error' | 'failed';

interface Props {
  principal: Principal;
  sources: readonly McpToolSource[];
  /** The request's logger: one debug line per call, with the tool and its outcome (never arguments or results). */
  log: Logger;
  calls: Counter<'tool' | 'outcome'>;
}

/**
 * An MCP server for one request and one caller, stateless: every source's tools this principal may use,
 * each call answered through the same path. Errors the caller can act on (AppError: 404, 403, …) become
 * `isError` results with their code and message; anything else is logged and answered as a bare internal
 * error, as REST's error handler does — its message never reaches the client.
 */
export async function createMcpServer({ principal, sources, log, calls }: Props): Promise<McpServer> {
  const server = new McpServer({ name: 'twinmcp-collab', version: '1.0.0' });
  const named = new Set<string>();
  for (const source of sources) {
    for (const tool of await listTools(source, principal, log)) {
      // The first source to name a tool keeps it: a plugin cannot shadow one of the product's.
      if (named.has(tool.name)) {
        log.warn({ tool: tool.name }, 'mcp tool name taken; later source skipped');
        continue;
      }
      named.add(tool.name);
      const { name, title, description, inputSchema, annotations } = tool;
      server.registerTool(name, { title, description, inputSchema, annotations }, async (args, extra) => {
        const { result, outcome } = await callTool(source, principal, name, args, extra.signal, log);
        calls.inc({ tool: name, outcome });
        log.debug({ tool: name, outcome }, 'mcp tool called');
        return result;
      });
    }
  }
  return server;
}

/** A source's tools for the principal; a source that fails to list offers none this time, and the others still answer. */
async function listTools(source: McpToolSource, principal: Principal, log: Logger): Promise<McpToolDescriptor[]> {
  try {
    return await source.list(principal);
  } catch (error) {
    log.error({ err: error }, 'mcp tool source failed to list its tools');
    return [];
  }
}

async function callTool(
  source: McpToolSource,
  principal: Principal,
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
  log: Logger,
): Promise<{ result: CallToolResult; outcome: McpCallOutcome }> {
  try {
    const result = await source.call(principal, name, args, signal);
    return { result, outcome: result.isError ? 'tool_error' : 'ok' };
  } catch (error) {
    if (error instanceof AppError) return { result: toolError(`${error.code}: ${error.message}`), outcome: 'tool_error' };
    log.error({ err: error, tool: name }, 'mcp tool failed');
    return { result: toolError('internal_error: Internal error'), outcome: 'failed' };
  }
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { Services } from '@shared/services.ts';
import type { ServiceAccountKeys } from '../serviceAccounts/ServiceAccountKeys.ts';
import { createAuthenticateMcp } from './authenticateMcp.ts';
import { createConversationTools } from './conversationTools.ts';
import { createMcpServer } from './createMcpServer.ts';
import { describeMcpEndpoint } from './mcp.openapi.ts';
import type { McpToolSource } from './McpToolSource.ts';

interface Options {
  /** The app's one ServiceAccountKeys: API keys authenticate here as on REST. */
  serviceAccountKeys: ServiceAccountKeys;
  /** The app's Prometheus registry, where tool calls are counted. */
  metrics: Registry;
  /** The API document's registry, where the endpoint is described. */
  registry: OpenAPIRegistry;
  /** Tools beyond the product's own (plugins'); none by default. */
  toolSources?: readonly McpToolSource[];
}

/** A JSON-RPC error with no request to answer, as the SDK's own transport writes them. */
const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/**
 * The product as an MCP server at `/mcp` (Streamable HTTP), stateless: a server and a transport per
 * request, so any API node answers any request and nothing outlives it. Only POST carries JSON-RPC; with
 * no sessions there is no stream to open (GET) or end (DELETE), so both answer 405, as in the SDK's
 * stateless example. The global express.json parsed the body already: it is handed to the transport.
 */
export function mcpRoutes(app: Express, services: Services, options: Options): void {
  const sources = [createConversationTools(services), ...(options.toolSources ?? [])];
  const calls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'MCP tool calls by tool and outcome (ok, tool_error, failed)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [options.metrics],
  });
  const authenticate = createAuthenticateMcp({ ...services, serviceAccountKeys: options.serviceAccountKeys });

  const handle: RequestHandler = async (req, res) => {
    const principal = req.principal!;
    const log = services.log.child({ module: 'mcp', reqId: req.id, principal: principal.type });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    try {
      const server = await createMcpServer({ principal, sources, log, calls });
      res.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      log.error({ err: error }, 'mcp request failed');
      if (!res.headersSent) res.status(500).json(rpcError(-32603, 'Internal server error'));
    }
  };
  const methodNotAllowed: RequestHandler = (_req, res) => {
    res.status(405).setHeader('Allow', 'POST').json(rpcError(-32000, 'Method not allowed.'));
  };
  // A body that is not JSON at all never reaches the transport (express.json refuses it first): answered
  // as the transport answers a bad message, a JSON-RPC parse error, rather than REST's error body.
  const parseErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if ((error as { type?: unknown } | null)?.type !== 'entity.parse.failed' || req.path !== '/') return next(error);
    res.status(400).json(rpcError(-32700, 'Parse error: Invalid JSON'));
  };

  app.post('/mcp', authenticate, handle);
  app.get('/mcp', methodNotAllowed);
  app.delete('/mcp', methodNotAllowed);
  app.use('/mcp', parseErrors);
  describeMcpEndpoint(options.registry);
}

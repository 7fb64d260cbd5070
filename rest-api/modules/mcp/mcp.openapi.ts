import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorResponseSchema } from '../../http/schemas.ts';

const JsonRpcId = z.union([z.string(), z.number(), z.null()]);

const JsonRpcRequestSchema = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    id: JsonRpcId.optional().describe('Absent on notifications'),
    method: z.string().meta({ example: 'tools/call' }),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'JsonRpcRequest' });

const JsonRpcResponseSchema = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    id: JsonRpcId,
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .meta({ id: 'JsonRpcResponse' });

const MCP_DESCRIPTION =
  'The product as an MCP server (Streamable HTTP, stateless: no `Mcp-Session-Id`). Takes a person’s access token, a service ' +
  'account’s API key or a share token (read tools only, for its conversation); every tool applies the same access rules as REST. ' +
  'Tools: list_conversations, read_conversation, post_message, read_draft, append_to_draft, and those of plugins.';

const rpcJson = (description: string) => ({ description, content: { 'application/json': { schema: JsonRpcResponseSchema } } });

/** Describes `/mcp` in the API document; its messages are JSON-RPC, defined by the MCP specification rather than here. */
export function describeMcpEndpoint(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/mcp',
    tags: ['mcp'],
    summary: 'Send an MCP JSON-RPC message (initialize, tools/list, tools/call, …)',
    description: MCP_DESCRIPTION,
    security: [{ bearer: [] }, { apiKey: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: JsonRpcRequestSchema } } } },
    responses: {
      200: rpcJson('The JSON-RPC response'),
      202: { description: 'A notification or response, accepted' },
      400: rpcJson('Not a JSON-RPC message'),
      401: {
        description: 'Missing, expired or invalid credentials (with `WWW-Authenticate: Bearer`)',
        content: { 'application/json': { schema: ErrorResponseSchema } },
      },
      406: rpcJson('The client does not accept both application/json and text/event-stream'),
      415: { description: 'Body is not JSON', content: { 'application/json': { schema: ErrorResponseSchema } } },
    },
  });
  for (const method of ['get', 'delete'] as const) {
    registry.registerPath({
      method,
      path: '/mcp',
      tags: ['mcp'],
      summary: `Not served: the endpoint is stateless, with no session stream to ${method === 'get' ? 'open' : 'end'}`,
      responses: { 405: rpcJson('Method not allowed') },
    });
  }
}

import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import { z } from 'zod';
import { listenOnLoopback } from './listenOnLoopback.ts';

export interface McpStandIn {
  /** The MCP endpoint. */
  url: string;
  /** An address that redirects to the endpoint. */
  redirectUrl: string;
  /** The `authorization` header of each request, in order. */
  authorizations: Array<string | undefined>;
  /** The tools called, in the order their calls arrived (a call is listed as soon as it starts). */
  toolCalls: string[];
  close(): Promise<void>;
}

/** Read on every request: a test may change them to make the server offer other tools. */
export interface McpStandInOptions {
  /** What the server reports as its serverInfo. Default `stand-in` 1.0.0. */
  serverInfo?: { name: string; version: string };
  /** Also offer `fail`, whose result is an MCP tool error (`isError`) with its text. */
  failingTool?: boolean;
}

/**
 * A remote MCP server on loopback, built with the official SDK (stateless Streamable HTTP): `echo`
 * answers its text, `shout` (destructive, for annotations) upper-cases it, `big` answers `bytes` of
 * text, and `slow` never answers until the client gives up.
 */
export async function startMcpStandIn(options: McpStandInOptions = {}): Promise<McpStandIn> {
  const authorizations: Array<string | undefined> = [];
  const toolCalls: string[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.get('/redirect', (_req, res) => res.redirect(307, '/mcp'));
  app.post('/redirect', (_req, res) => res.redirect(307, '/mcp'));
  app.post('/mcp', async (req, res) => {
    authorizations.push(req.headers.authorization);
    const server = new McpServer(options.serverInfo ?? { name: 'stand-in', version: '1.0.0' });
    const message = req.body as { method?: string; params?: { name?: string } } | undefined;
    if (message?.method === 'tools/call' && message.params?.name) toolCalls.push(message.params.name);
    server.registerTool(
      'echo',
      { description: 'Answers its text', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
      async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    server.registerTool(
      'shout',
      { description: 'Upper-cases its text', inputSchema: { text: z.string() }, annotations: { destructiveHint: true } },
      async ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }),
    );
    server.registerTool('big', { description: 'Answers many bytes', inputSchema: { bytes: z.number() } }, async ({ bytes }) => ({
      content: [{ type: 'text', text: 'x'.repeat(bytes) }],
    }));
    server.registerTool(
      'slow',
      { description: 'Never answers' },
      (extra) =>
        new Promise((_resolve, reject) => extra.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
    );
    if (options.failingTool) {
      server.registerTool('fail', { description: 'Always fails', inputSchema: { text: z.string() } }, async ({ text }) => ({
        content: [{ type: 'text', text }],
        isError: true,
      }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const server = http.createServer(app);
  const { origin, close } = await listenOnLoopback(server);
  return { url: `${origin}/mcp`, redirectUrl: `${origin}/redirect`, authorizations, toolCalls, close };
}

import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Counter, Registry } from 'prom-client';
import { z } from 'zod';
import type { Principal } from '@shared/access/index.ts';
import { ForbiddenError } from '@shared/errors.ts';
import { captureLogs } from '../../../test/factories.ts';
import { createMcpServer } from './createMcpServer.ts';
import { ADDITIVE, READ_ONLY, jsonResult, type McpToolSource } from './McpToolSource.ts';

const user: Principal = { type: 'user', id: '00000000-0000-4000-8000-000000000001' };

/** A source with one tool, `name`, answering with `answer`. */
function sourceOf(name: string, answer: (args: Record<string, unknown>, principal: Principal) => ReturnType<McpToolSource['call']>) {
  const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
  const source: McpToolSource = {
    list: async () => [{ name, description: `The ${name} tool`, inputSchema: { text: z.string().min(1) }, annotations: ADDITIVE }],
    call: async (principal, called, args) => {
      calls.push({ name: called, args });
      return answer(args, principal);
    },
  };
  return { source, calls };
}

describe('createMcpServer', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** A connected client of a server over these sources, with its logs and metrics. */
  async function connect(sources: McpToolSource[]) {
    const { log, lines } = captureLogs();
    log.level = 'debug';
    const registry = new Registry();
    const calls = new Counter({ name: 'calls', help: 'calls', labelNames: ['tool', 'outcome'] as const, registers: [registry] });
    const server = await createMcpServer({ principal: user, sources, log, calls });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'unit', version: '1' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    closers.push(async () => {
      await client.close();
      await server.close();
    });
    return { client, lines, registry };
  }

  it('lists the tools of every source through one path, schemas and annotations included', async () => {
    const { client } = await connect([
      sourceOf('echo', async (args) => jsonResult(args)).source,
      sourceOf('shout', async () => jsonResult(1)).source,
    ]);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'shout']);
    expect(tools[0]).toMatchObject({
      description: 'The echo tool',
      inputSchema: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] },
      annotations: ADDITIVE,
    });
  });

  it('hands a source validated arguments and returns its result; invalid arguments never reach it', async () => {
    const echo = sourceOf('echo', async (args) => jsonResult(args));
    const { client } = await connect([echo.source]);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toEqual({
      content: [{ type: 'text', text: '{"text":"hi"}' }],
    });
    const invalid = await client.callTool({ name: 'echo', arguments: { text: '' } });
    expect(invalid.isError).toBe(true);
    expect(echo.calls).toEqual([{ name: 'echo', args: { text: 'hi' } }]);
  });

  it('keeps the first source’s tool when a later one names it too', async () => {
    const product = sourceOf('read_draft', async () => jsonResult('product'));
    const plugin = sourceOf('read_draft', async () => jsonResult('plugin'));
    const { client, lines } = await connect([product.source, plugin.source]);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['read_draft']);
    await client.callTool({ name: 'read_draft', arguments: { text: 'x' } });
    expect(product.calls).toHaveLength(1);
    expect(plugin.calls).toHaveLength(0);
    expect(lines.some((line) => line.includes('mcp tool name taken'))).toBe(true);
  });

  it('answers an AppError as an isError result with its code, and hides any other failure’s message', async () => {
    const refused = sourceOf('refused', async () => {
      throw new ForbiddenError();
    });
    const broken = sourceOf('broken', async () => {
      throw new Error('connection string postgres://secret');
    });
    const { client, lines, registry } = await connect([refused.source, broken.source]);
    expect(await client.callTool({ name: 'refused', arguments: { text: 'x' } })).toEqual({
      content: [{ type: 'text', text: 'forbidden: You may not do this' }],
      isError: true,
    });
    expect(await client.callTool({ name: 'broken', arguments: { text: 'x' } })).toEqual({
      content: [{ type: 'text', text: 'internal_error: Internal error' }],
      isError: true,
    });
    // The operator finds the cause in the log.
    expect(lines.some((line) => line.includes('mcp tool failed') && line.includes('postgres://secret'))).toBe(true);
    const counted = await registry.getSingleMetric('calls')!.get();
    expect(counted.values.map(({ labels, value }) => [labels.tool, labels.outcome, value])).toEqual(
      expect.arrayContaining([
        ['refused', 'tool_error', 1],
        ['broken', 'failed', 1],
      ]),
    );
  });

  it('goes on with the other sources when one fails to list its tools', async () => {
    const failing: McpToolSource = {
      list: async () => {
        throw new Error('plugin host down');
      },
      call: async () => jsonResult(null),
    };
    const readOnly: McpToolSource = {
      list: async () => [{ name: 'peek', description: 'Peeks', inputSchema: {}, annotations: READ_ONLY }],
      call: async () => jsonResult('peeked'),
    };
    const { client, lines } = await connect([failing, readOnly]);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['peek']);
    expect(await client.callTool({ name: 'peek', arguments: {} })).toEqual({ content: [{ type: 'text', text: '"peeked"' }] });
    expect(lines.some((line) => line.includes('failed to list'))).toBe(true);
  });
});

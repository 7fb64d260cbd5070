import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMcpStandIn, type McpStandIn } from '../../../test/standIns/mcpServer.ts';
import { RemoteMcpServer, type RemoteServerOptions } from './RemoteMcpServer.ts';

describe('RemoteMcpServer (the official SDK client, against an MCP server on loopback)', () => {
  let standIn: McpStandIn;
  const opened: RemoteMcpServer[] = [];
  const remote = (options: Partial<RemoteServerOptions> = {}) => {
    const server = new RemoteMcpServer({
      url: standIn.url,
      timeoutMs: 5_000,
      maxBytes: 256 * 1024,
      allowedHosts: ['127.0.0.1'],
      ...options,
    });
    opened.push(server);
    return server;
  };
  beforeAll(async () => {
    standIn = await startMcpStandIn();
  });
  afterAll(async () => {
    await Promise.all(opened.map((server) => server.close()));
    await standIn?.close();
  });

  it('lists the tools with their schemas and annotations, and calls one with the registered headers', async () => {
    const server = remote({ headers: { authorization: 'Bearer remote-secret' } });
    const tools = await server.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['big', 'echo', 'shout', 'slow']);
    expect(tools.find((tool) => tool.name === 'shout')).toMatchObject({
      inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
      annotations: { destructiveHint: true },
    });
    expect(await server.callTool('echo', { text: 'hello' })).toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    expect(standIn.authorizations.at(-1)).toBe('Bearer remote-secret');
  });

  it('refuses a host that PLUGIN_REMOTE_HOSTS does not list, before connecting', () => {
    const before = standIn.authorizations.length;
    expect(() => remote({ allowedHosts: ['mcp.example.com'] })).toThrow(expect.objectContaining({ code: 'host_not_allowed', status: 400 }));
    expect(() => remote({ url: 'file:///etc/passwd' })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => remote({ url: standIn.url.replace('http://', 'http://user:pw@') })).toThrow(/credentials go in headers/);
    expect(standIn.authorizations).toHaveLength(before);
  });

  it('stops reading an answer past the size cap', async () => {
    const server = remote({ maxBytes: 64 * 1024 });
    await expect(server.callTool('big', { bytes: 1_000_000 })).rejects.toMatchObject({ code: 'output_too_large' });
    // The connection was dropped and is made again: a small answer still arrives.
    expect(await server.callTool('big', { bytes: 10 })).toMatchObject({ content: [{ text: 'x'.repeat(10) }] });
  });

  it('gives up on a server that does not answer, at the deadline', async () => {
    const server = remote({ timeoutMs: 300 });
    await server.listTools();
    const started = performance.now();
    await expect(server.callTool('slow', {})).rejects.toMatchObject({ code: 'remote_timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('does not follow a redirect, even to the same host', async () => {
    await expect(remote({ url: standIn.redirectUrl }).listTools()).rejects.toMatchObject({ code: 'remote_failed' });
  });
});

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { captureLogs, createConversation, registerUser } from '../../../test/factories.ts';
import { callTool, startMcpServer, type McpTestServer } from './mcp.fixtures.ts';

describe('the MCP endpoint’s logs', () => {
  const { log, lines } = captureLogs();
  let t: TestApp;
  let mcp: McpTestServer;

  beforeAll(async () => {
    log.level = 'debug';
    t = await startTestApp({ log });
    mcp = await startMcpServer(t);
  });
  afterAll(async () => {
    await mcp?.close();
    await t?.close();
  });

  it('write one debug line per call with the tool and its outcome, and never the token, arguments or results', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const client = await mcp.connect(owner.accessToken);
    const secretText = `secret-${crypto.randomUUID()}`;
    await callTool(client, 'post_message', { conversationId: conversation.id, content: secretText });
    await callTool(client, 'read_draft', { conversationId: crypto.randomUUID() });

    const calls = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'mcp tool called');
    expect(calls).toEqual([
      expect.objectContaining({
        level: 20,
        module: 'mcp',
        principal: 'user',
        tool: 'post_message',
        outcome: 'ok',
        reqId: expect.any(String),
      }),
      expect.objectContaining({ level: 20, module: 'mcp', principal: 'user', tool: 'read_draft', outcome: 'tool_error' }),
    ]);
    const everything = lines.join('\n');
    expect(everything).not.toContain(owner.accessToken);
    expect(everything).not.toContain(secretText);
  });
});

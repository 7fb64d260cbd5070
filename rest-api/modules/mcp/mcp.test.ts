import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../../../test/http.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { createServiceAccount, registerOperator } from '../serviceAccounts/serviceAccounts.fixtures.ts';
import { postShare, viewShare } from '../shares/shares.fixtures.ts';
import { callTool, startMcpServer, textOf, valueOf, type McpTestServer } from './mcp.fixtures.ts';

const PRODUCT_TOOLS = ['append_to_draft', 'list_conversations', 'post_message', 'read_conversation', 'read_draft'];
const NOT_FOUND = 'not_found: Conversation not found';

describe('the MCP endpoint', () => {
  let t: TestApp;
  let mcp: McpTestServer;

  beforeAll(async () => {
    t = await startTestApp();
    mcp = await startMcpServer(t);
  });
  afterAll(async () => {
    await mcp?.close();
    await t?.close();
  });

  const postMessage = async (user: TestUser, conversationId: string, content: string) => {
    const res = await t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content });
    expect(res.status).toBe(201);
  };
  /** A share token for the conversation, as a viewer of its link gets one. */
  const shareToken = async (owner: TestUser, conversationId: string, permission: 'read' | 'comment' | 'edit' = 'read') => {
    const share = await postShare(t, owner, { conversationId, permission });
    expect(share.status).toBe(201);
    const view = await viewShare(t, share.body.data.id);
    expect(view.status).toBe(200);
    return view.body.data.token as string;
  };

  describe('tools', () => {
    it('initializes and lists the product’s tools, each with an input schema and annotations', async () => {
      const user = await registerUser(t);
      const client = await mcp.connect(user.accessToken);
      expect(client.getServerVersion()).toMatchObject({ name: 'twinmcp-collab' });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(PRODUCT_TOOLS);
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.annotations).toMatchObject({ destructiveHint: false, openWorldHint: false });
      }
      const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
      expect(byName.read_conversation!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
      expect(byName.post_message!.annotations).toMatchObject({ readOnlyHint: false });
      expect(byName.read_conversation!.inputSchema.required).toEqual(['conversationId']);
    });

    it('lists and reads a conversation the caller owns', async () => {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner, 'Roadmap');
      await postMessage(owner, conversation.id, 'first question');
      await postMessage(owner, conversation.id, 'second question');
      const client = await mcp.connect(owner.accessToken);

      const listed = valueOf<{ conversations: Array<{ id: string; title: string }>; hasMore: boolean }>(
        await callTool(client, 'list_conversations'),
      );
      expect(listed).toEqual({ conversations: [expect.objectContaining({ id: conversation.id, title: 'Roadmap' })], hasMore: false });

      const read = valueOf<{ conversation: { title: string }; messages: Array<{ content: string }>; hasMoreMessages: boolean }>(
        await callTool(client, 'read_conversation', { conversationId: conversation.id, limit: 1 }),
      );
      expect(read.conversation).toMatchObject({ id: conversation.id, title: 'Roadmap' });
      expect(read.messages.map((message) => message.content)).toEqual(['first question']);
      expect(read.hasMoreMessages).toBe(true);
    });

    it('lists a workspace’s conversations for a member, and answers not found for a workspace they are not in', async () => {
      const admin = await registerUser(t);
      const outsider = await registerUser(t);
      const workspace = await createWorkspace(t, admin);
      const conversation = await createWorkspaceConversation(t, admin, workspace.id, 'Team notes');
      const listed = valueOf<{ conversations: Array<{ id: string }> }>(
        await callTool(await mcp.connect(admin.accessToken), 'list_conversations', { workspaceId: workspace.id }),
      );
      expect(listed.conversations.map((row) => row.id)).toEqual([conversation.id]);
      const refused = await callTool(await mcp.connect(outsider.accessToken), 'list_conversations', { workspaceId: workspace.id });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/^not_found: /);
    });

    it('answers another user’s conversation exactly as a conversation that does not exist', async () => {
      const owner = await registerUser(t);
      const outsider = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const client = await mcp.connect(outsider.accessToken);
      for (const tool of ['read_conversation', 'read_draft', 'post_message', 'append_to_draft']) {
        const args = { content: 'hello', text: 'hello' };
        const theirs = await callTool(client, tool, { conversationId: conversation.id, ...args });
        const missing = await callTool(client, tool, { conversationId: crypto.randomUUID(), ...args });
        expect({ tool, ...theirs }).toEqual({ tool, content: [{ type: 'text', text: NOT_FOUND }], isError: true });
        expect(missing).toEqual(theirs);
      }
      // Nothing was written to the conversation the outsider could not see.
      const messages = await t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(owner));
      expect(messages.body.data).toEqual([]);
    });

    it('posts a message that REST then lists, as the caller, with the role of a person', async () => {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const client = await mcp.connect(owner.accessToken);
      const posted = valueOf<{ id: string; role: string; authorId: string }>(
        await callTool(client, 'post_message', { conversationId: conversation.id, content: 'Posted over MCP' }),
      );
      expect(posted).toMatchObject({ role: 'user', authorId: owner.id });
      const res = await t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(owner));
      expect(res.body.data).toEqual([
        expect.objectContaining({ id: posted.id, content: 'Posted over MCP', role: 'user', authorId: owner.id }),
      ]);
    });

    it('refuses a message REST would refuse, as an error result that names the field', async () => {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const result = await callTool(await mcp.connect(owner.accessToken), 'post_message', { conversationId: conversation.id, content: '' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/content/);
    });

    it('refuses posts and draft edits by a workspace viewer as forbidden, writing nothing', async () => {
      const admin = await registerUser(t);
      const viewer = await registerUser(t);
      const workspace = await createWorkspace(t, admin);
      await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
      const conversation = await createWorkspaceConversation(t, admin, workspace.id);
      const client = await mcp.connect(viewer.accessToken);

      const read = await callTool(client, 'read_conversation', { conversationId: conversation.id });
      expect(read.isError).toBeFalsy();
      for (const [tool, args] of [
        ['post_message', { content: 'let me in' }],
        ['append_to_draft', { text: 'let me in' }],
      ] as const) {
        const refused = await callTool(client, tool, { conversationId: conversation.id, ...args });
        expect({ tool, ...refused }).toEqual({ tool, content: [{ type: 'text', text: 'forbidden: You may not do this' }], isError: true });
      }
      const messages = await t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(admin));
      expect(messages.body.data).toEqual([]);
      expect(valueOf(await callTool(client, 'read_draft', { conversationId: conversation.id }))).toEqual({
        conversationId: conversation.id,
        text: '',
      });
    });

    it('answers an unknown tool with the SDK’s error', async () => {
      const user = await registerUser(t);
      const result = await callTool(await mcp.connect(user.accessToken), 'no_such_tool');
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Tool no_such_tool not found/);
    });
  });

  describe('share tokens', () => {
    it('give only the read tools, for the shared conversation and no other', async () => {
      const owner = await registerUser(t);
      const shared = await createConversation(t, owner, 'Shared plan');
      const other = await createConversation(t, owner, 'Private plan');
      await postMessage(owner, shared.id, 'visible to the link');
      const client = await mcp.connect(await shareToken(owner, shared.id));

      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['read_conversation', 'read_draft']);
      const read = valueOf<{ conversation: { title: string }; messages: Array<{ content: string }> }>(
        await callTool(client, 'read_conversation', { conversationId: shared.id }),
      );
      expect(read.conversation.title).toBe('Shared plan');
      expect(read.messages.map((message) => message.content)).toEqual(['visible to the link']);
      expect(await callTool(client, 'read_conversation', { conversationId: other.id })).toEqual({
        content: [{ type: 'text', text: NOT_FOUND }],
        isError: true,
      });
    });

    it('cannot post or append, even with an edit share: those tools do not exist for it', async () => {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const client = await mcp.connect(await shareToken(owner, conversation.id, 'edit'));
      for (const tool of ['post_message', 'append_to_draft', 'list_conversations']) {
        const result = await callTool(client, tool, { conversationId: conversation.id, content: 'x', text: 'x' });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(new RegExp(`Tool ${tool} not found`));
      }
    });

    it('stop working once the share is revoked', async () => {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const share = await postShare(t, owner, { conversationId: conversation.id, permission: 'read' });
      const token = (await viewShare(t, share.body.data.id)).body.data.token as string;
      const client = await mcp.connect(token);
      expect((await callTool(client, 'read_draft', { conversationId: conversation.id })).isError).toBeFalsy();
      const revoked = await t.request.delete(`/api/share/${share.body.data.id}`).set(bearer(owner));
      expect(revoked.status).toBe(204);
      expect(await callTool(client, 'read_draft', { conversationId: conversation.id })).toEqual({
        content: [{ type: 'text', text: NOT_FOUND }],
        isError: true,
      });
    });
  });

  describe('service accounts', () => {
    it('take an API key: read and post as the assistant inside the key’s scope, not found outside it', async () => {
      const owner = await registerUser(t);
      const inScope = await createConversation(t, owner);
      const outOfScope = await createConversation(t, owner);
      const account = await createServiceAccount(t, await registerOperator(t), { conversationIds: [inScope.id] });
      const client = await mcp.connect(account.apiKey);

      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['post_message', 'read_conversation', 'read_draft']);
      const posted = valueOf<{ role: string; serviceAccountId: string }>(
        await callTool(client, 'post_message', { conversationId: inScope.id, content: 'An answer' }),
      );
      expect(posted).toMatchObject({ role: 'assistant', serviceAccountId: account.id });
      const read = valueOf<{ messages: Array<{ content: string }> }>(
        await callTool(client, 'read_conversation', { conversationId: inScope.id }),
      );
      expect(read.messages.map((message) => message.content)).toEqual(['An answer']);
      for (const tool of ['read_conversation', 'post_message']) {
        expect(await callTool(client, tool, { conversationId: outOfScope.id, content: 'x' })).toEqual({
          content: [{ type: 'text', text: NOT_FOUND }],
          isError: true,
        });
      }
    });
  });

  describe('authentication', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    const post = (authorization?: string) => {
      const req = t.request.post('/mcp').set('Accept', 'application/json, text/event-stream');
      return (authorization ? req.set('Authorization', authorization) : req).send(initialize);
    };

    it('answers a request without a token with 401, WWW-Authenticate: Bearer and a JSON error', async () => {
      const res = await post();
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({ error: { code: 'unauthenticated', message: 'Authentication required' } });
    });

    it.each([
      ['an expired token', 'token_expired', () => expiredToken()],
      ['a garbage token', 'token_invalid', () => 'not-a-token'],
      ['a token signed with another secret', 'token_invalid', () => jwt.sign({ typ: 'access' }, 'x'.repeat(64), { issuer: 'twinmcp' })],
      ['an unknown API key', 'token_invalid', () => `twk_${'A'.repeat(43)}`],
    ])('answers %s with 401 %s', async (_what, code, token) => {
      const res = await post(`Bearer ${await token()}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(res.body.error.code).toBe(code);
    });

    it('refuses the SDK client with a bad token at its first request, as HTTP 401', async () => {
      await expect(mcp.connect('not-a-token')).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/token_invalid/) });
    });

    async function expiredToken(): Promise<string> {
      const user = await registerUser(t);
      return jwt.sign({ typ: 'access', exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { issuer: 'twinmcp', subject: user.id });
    }
  });

  describe('transport', () => {
    it('answers a body that is not JSON with a JSON-RPC parse error, and goes on serving', async () => {
      const user = await registerUser(t);
      const res = await t.request
        .post('/mcp')
        .set(bearer(user))
        .set('Accept', 'application/json, text/event-stream')
        .set('Content-Type', 'application/json')
        .send('{"jsonrpc": "2.0", "method": ');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/^Parse error/) }, id: null });

      const notRpc = await t.request.post('/mcp').set(bearer(user)).set('Accept', 'application/json, text/event-stream').send({ hello: 1 });
      expect(notRpc.status).toBe(400);
      expect(notRpc.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number), message: expect.any(String) }, id: null });

      const { tools } = await (await mcp.connect(user.accessToken)).listTools();
      expect(tools.length).toBe(PRODUCT_TOOLS.length);
    });

    it.each(['get', 'delete'] as const)('answers %s with 405 and a JSON-RPC error: the endpoint keeps no sessions', async (method) => {
      const user = await registerUser(t);
      const res = await t.request[method]('/mcp').set(bearer(user));
      expect(res.status).toBe(405);
      expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    });

    it('counts tool calls by tool and outcome in the metrics', async () => {
      const user = await registerUser(t);
      const client = await mcp.connect(user.accessToken);
      await callTool(client, 'list_conversations');
      await callTool(client, 'read_draft', { conversationId: crypto.randomUUID() });
      const metrics = await t.request.get('/metrics');
      expect(metrics.text).toMatch(/mcp_tool_calls_total\{[^}]*tool="list_conversations"[^}]*outcome="ok"[^}]*\} [1-9]/);
      expect(metrics.text).toMatch(/mcp_tool_calls_total\{[^}]*tool="read_draft"[^}]*outcome="tool_error"[^}]*\} [1-9]/);
    });
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { grantOperator } from '@shared/operators.ts';
import { packPlugin } from '@shared/plugins/package/index.ts';
import { PluginFixtures } from '@shared/plugins/package/package.fixtures.ts';
import { buildShippedPlugins } from '../../../plugins/buildShippedPlugins.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';
import { startTestCollab, waitFor, type TestCollab } from '../../../test/collab.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { newPluginId, testManifest, installAsDefault } from './plugins.fixtures.ts';

const WORD_COUNT = 'com.twinmcp.wordcount';

/**
 * A tool's result posted in the conversation it ran in (`post: true`), with the real runtime and the
 * shipped word count: a `tool` message by the person who ran it, in the list and live in open documents.
 */
describe('plugin results as messages', () => {
  let t: TestApp;
  let collab: TestCollab;
  let operator: TestUser;
  let outDir: string;
  const fixtures = new PluginFixtures();
  const as = requestsAs(() => t);

  beforeAll(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-plugin-messages-'));
    const [wordCount] = (await buildShippedPlugins({ outDir })).filter((plugin) => plugin.name === 'wordcount');
    t = await startTestApp({ env: { PLUGIN_ALLOW_UNSIGNED: 'true', PLUGIN_TIMEOUT_MS: '1500', PLUGIN_WORKERS: '1' } });
    collab = await startTestCollab(t);
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
    await installDefault(await fs.readFile(wordCount!.tgz));
  }, 60_000);
  afterAll(async () => {
    await collab?.close();
    await t?.close();
    await fixtures.cleanup();
    await fs.rm(outDir, { recursive: true, force: true });
  });

  const installDefault = (tgz: Buffer) => installAsDefault(t, operator, tgz);

  const invoke = (user: TestUser, pluginId: string, tool: string, body: Record<string, unknown>) =>
    as.post(user, `/api/plugins/${pluginId}/tools/${tool}/invoke`, body);
  const toolMessages = async (user: TestUser, conversationId: string) =>
    ((await as.get(user, `/api/conversations/${conversationId}/messages`)).body.data as Array<{ role: string }>).filter(
      (message) => message.role === 'tool',
    );

  it('posts the word count as a tool message that the list, the open document and the audit trail show', async () => {
    const user = await registerUser(t);
    const conversation = await createConversation(t, user);
    const watcher = collab.connect(`conversation:${conversation.id}`, user.accessToken);
    await watcher.synced;

    const res = await invoke(user, WORD_COUNT, 'count_words', {
      input: { text: 'three little words' },
      conversationId: conversation.id,
      post: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ output: { words: 3 }, invocationId: expect.any(String), messageId: expect.any(String) });
    const { messageId, invocationId } = res.body.data;

    const [listed] = await toolMessages(user, conversation.id);
    expect(listed).toMatchObject({ id: messageId, role: 'tool', authorId: user.id, execution: null });
    expect((listed as unknown as { content: string }).content).toMatch(/^Word count\n\n```json\n\{\n {2}"words": 3,/);

    await waitFor('the result in the open document', () => listDocumentMessages(watcher.doc).some((m) => m.id === messageId));
    const live = listDocumentMessages(watcher.doc).find((m) => m.id === messageId)!;
    expect(live).toMatchObject({ role: 'tool', author: user.id, content: (listed as unknown as { content: string }).content });

    const audit = await t.services.db('audit_log').where({ action: 'message.created', subject_id: conversation.id });
    expect(audit.map((row) => row.data)).toEqual([{ messageId, role: 'tool', pluginId: WORD_COUNT, tool: 'count_words', invocationId }]);
  }, 30_000);

  it('answers without posting when post is not asked for, and refuses post without a conversation', async () => {
    const user = await registerUser(t);
    const conversation = await createConversation(t, user);
    const res = await invoke(user, WORD_COUNT, 'count_words', { input: { text: 'quiet' }, conversationId: conversation.id });
    expect(res.status).toBe(200);
    expect(res.body.data).not.toHaveProperty('messageId');
    expectError(await invoke(user, WORD_COUNT, 'count_words', { input: { text: 'where?' }, post: true }), 400, 'validation_failed');
    expect(await toolMessages(user, conversation.id)).toEqual([]);
  }, 30_000);

  it('posts nothing when the tool fails, and answers its error as without post', async () => {
    const user = await registerUser(t);
    const conversation = await createConversation(t, user);
    const manifest = testManifest({
      id: newPluginId(),
      tools: [{ name: 'fail', description: 'Always fails', inputSchema: { type: 'object' } }],
    });
    const dir = await fixtures.pluginDir({
      manifest,
      files: { 'dist/index.js': "export default { tools: { fail: async () => { throw new Error('out of paper'); } } };\n" },
    });
    const failing = await installDefault(await packPlugin(dir));
    const res = await invoke(user, failing, 'fail', { input: {}, conversationId: conversation.id, post: true });
    expectError(res, 422, 'tool_failed');
    expect(res.body.error.message).toContain('out of paper');
    expect(await toolMessages(user, conversation.id)).toEqual([]);
    const audit = await t.services.db('audit_log').where({ action: 'message.created', subject_id: conversation.id });
    expect(audit).toEqual([]);
  }, 30_000);

  it('needs write access to post: a workspace viewer is refused before the tool runs, a stranger gets 404', async () => {
    const owner = await registerUser(t);
    const viewer = await registerUser(t);
    const stranger = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Counters');
    await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
    const turnOn = await t.request.put(`/api/workspace/${workspace.id}/plugins/${WORD_COUNT}`).set(bearer(owner)).send({ enabled: true });
    expect(turnOn.status).toBe(204);
    const conversation = await createWorkspaceConversation(t, owner, workspace.id);
    const body = { input: { text: 'not yours to post' }, conversationId: conversation.id, post: true };

    expectError(await invoke(viewer, WORD_COUNT, 'count_words', body), 403, 'forbidden');
    expectError(await invoke(stranger, WORD_COUNT, 'count_words', body), 404, 'not_found');
    // The viewer may still run it without posting: reading is enough for that.
    expect((await invoke(viewer, WORD_COUNT, 'count_words', { ...body, post: false })).status).toBe(200);
    const ran = await t.services.db('plugin_invocations').where({ conversation_id: conversation.id });
    expect(ran.map((row) => row.user_id)).toEqual([viewer.id]);
    expect(await toolMessages(owner, conversation.id)).toEqual([]);
  }, 30_000);
});

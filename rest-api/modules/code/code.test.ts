import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listDocumentMessages } from '@shared/documents/mirrorMessages.ts';
import { expectError, requestsAs } from '../../../test/assertions.ts';
import { startTestCollab, waitFor, type TestCollab } from '../../../test/collab.ts';
import {
  addWorkspaceMember,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
} from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { purgeExpiredExecutions } from './code.repo.ts';

describe('code execution API', () => {
  let t: TestApp;
  let collab: TestCollab;
  const as = requestsAs(() => t);

  beforeAll(async () => {
    t = await startTestApp({ env: { CODE_EXEC_CODE_BYTES: '2048', CODE_EXEC_STDIN_BYTES: '1024', CODE_EXEC_OUTPUT_BYTES: '1024' } });
    collab = await startTestCollab(t);
  }, 60_000);
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  it('lists the six languages with their versions, backends and limits', async () => {
    const user = await registerUser(t);
    const res = await as.get(user, '/api/code/languages');
    expect(res.status).toBe(200);
    const byLanguage = Object.fromEntries(res.body.data.map((entry: { language: string }) => [entry.language, entry]));
    expect(Object.keys(byLanguage).sort()).toEqual(['bash', 'go', 'javascript', 'python', 'ruby', 'typescript']);
    expect(byLanguage.javascript).toMatchObject({ backend: 'isolated-vm', version: expect.stringMatching(/\d+\.\d+/) });
    expect(byLanguage.python).toMatchObject({ backend: 'bubblewrap', version: expect.stringMatching(/^3\.\d+/) });
    expect(byLanguage.go.limits).toMatchObject({ timeoutMs: 5_000, maxTimeoutMs: 30_000, memoryBytes: 128 * 1024 * 1024, codeBytes: 2048 });
  });

  it('runs JavaScript and Python, answers their output, and records each run for its owner only', async () => {
    const user = await registerUser(t);
    const js = await as.post(user, '/api/code/execute', { language: 'javascript', code: 'console.log(1 + 1); console.error("careful")' });
    expect(js.status).toBe(201);
    expect(js.body.data).toMatchObject({
      language: 'javascript',
      backend: 'isolated-vm',
      stdout: '2\n',
      stderr: 'careful\n',
      exitCode: 0,
      limit: null,
      truncated: { stdout: false, stderr: false },
    });
    const py = await as.post(user, '/api/code/execute', {
      language: 'python',
      code: 'import sys\nprint(sys.stdin.read().upper())',
      stdin: 'hi',
    });
    expect(py.body.data).toMatchObject({ backend: 'bubblewrap', stdout: 'HI\n', exitCode: 0 });

    const detail = await as.get(user, `/api/code/executions/${js.body.data.id}`);
    expect(detail.body.data).toMatchObject({ code: 'console.log(1 + 1); console.error("careful")', stdout: '2\n' });
    expect(detail.body.data.codeSha256).toMatch(/^[0-9a-f]{64}$/);
    const page = await as.get(user, '/api/code/executions?limit=1');
    expect(page.body.data.map((run: { id: string }) => run.id)).toEqual([py.body.data.id]);
    const next = await as.get(user, `/api/code/executions?limit=1&cursor=${page.body.pagination.nextCursor}`);
    expect(next.body.data.map((run: { id: string }) => run.id)).toEqual([js.body.data.id]);

    const stranger = await registerUser(t);
    expectError(await as.get(stranger, `/api/code/executions/${js.body.data.id}`), 404, 'not_found');
    expect((await as.get(stranger, '/api/code/executions')).body.data).toEqual([]);
  }, 30_000);

  it('reports the limit that stopped a program, and a failing program’s exit code, as results', async () => {
    const user = await registerUser(t);
    const loop = await as.post(user, '/api/code/execute', { language: 'javascript', code: 'while (true) {}', timeoutMs: 300 });
    expect(loop.status).toBe(201);
    expect(loop.body.data).toMatchObject({ limit: 'time', exitCode: null });
    const flood = await as.post(user, '/api/code/execute', { language: 'bash', code: 'yes' });
    expect(flood.body.data).toMatchObject({ limit: 'output', truncated: { stdout: true, stderr: false } });
    expect(flood.body.data.stdout.length).toBe(1024);
    const failing = await as.post(user, '/api/code/execute', { language: 'ruby', code: 'exit 3' });
    expect(failing.body.data).toMatchObject({ exitCode: 3, limit: null });
  }, 30_000);

  it('refuses bad input with a clear error, before anything runs', async () => {
    const user = await registerUser(t);
    expectError(await as.post(user, '/api/code/execute', { language: 'cobol', code: 'x' }), 400, 'validation_failed');
    expectError(await as.post(user, '/api/code/execute', { language: 'python', code: '' }), 400, 'validation_failed');
    expectError(
      await as.post(user, '/api/code/execute', { language: 'python', code: 'print(1)', timeoutMs: 60_000 }),
      400,
      'validation_failed',
    );
    expectError(await as.post(user, '/api/code/execute', { language: 'python', code: 'x'.repeat(2049) }), 413, 'code_too_large');
    expectError(
      await as.post(user, '/api/code/execute', { language: 'python', code: 'pass', stdin: 'x'.repeat(1025) }),
      413,
      'stdin_too_large',
    );
    const orphan = { language: 'python', code: 'pass', messageId: '00000000-0000-4000-8000-000000000000' };
    expectError(await as.post(user, '/api/code/execute', orphan), 400, 'validation_failed');
    expectError(await t.request.post('/api/code/execute').send({ language: 'python', code: 'pass' }), 401, 'unauthenticated');
    expect((await as.get(user, '/api/code/executions')).body.data).toEqual([]);
  });

  it('posts a run to the conversation as a tool message that the room sees live, and that nobody can rewrite', async () => {
    const owner = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Runners');
    const conversation = await createWorkspaceConversation(t, owner, workspace.id);
    const question = await as.post(owner, `/api/conversations/${conversation.id}/messages`, {
      role: 'user',
      content: '```python\nprint(6 * 7)\n```',
    });
    const watcher = collab.connect(`conversation:${conversation.id}`, owner.accessToken);
    await watcher.synced;

    const run = await as.post(owner, '/api/code/execute', {
      language: 'python',
      code: 'print(6 * 7)',
      conversationId: conversation.id,
      messageId: question.body.data.id,
    });
    expect(run.status).toBe(201);
    expect(run.body.data).toMatchObject({ conversationId: conversation.id, messageId: expect.any(String), stdout: '42\n' });

    await waitFor('the run in the open document', () => listDocumentMessages(watcher.doc).some((m) => m.role === 'tool'));
    const live = listDocumentMessages(watcher.doc).find((m) => m.role === 'tool')!;
    expect(live.execution).toMatchObject({
      id: run.body.data.id,
      language: 'python',
      code: 'print(6 * 7)',
      stdout: '42\n',
      exitCode: 0,
      sourceMessageId: question.body.data.id,
    });
    const listed = await as.get(owner, `/api/conversations/${conversation.id}/messages`);
    const tool = listed.body.data.find((m: { role: string }) => m.role === 'tool');
    expect(tool).toMatchObject({ id: run.body.data.messageId, authorId: owner.id, execution: { stdout: '42\n' } });
    expect(tool.content).toContain('Ran python · exit 0');

    // The record of what ran is nobody's to rewrite, and nobody posts one by hand.
    expectError(
      await as.patch(owner, `/api/conversations/${conversation.id}/messages/${tool.id}`, { content: 'print(1)' }),
      403,
      'forbidden',
    );
    expectError(
      await as.post(owner, `/api/conversations/${conversation.id}/messages`, { role: 'tool', content: 'fake output' }),
      403,
      'forbidden',
    );
    expect((await as.del(owner, `/api/conversations/${conversation.id}/messages/${tool.id}`)).status).toBe(204);
  }, 30_000);

  it('needs write access to post a run: a viewer is refused, a stranger gets the same 404 as no conversation', async () => {
    const owner = await registerUser(t);
    const viewer = await registerUser(t);
    const stranger = await registerUser(t);
    const workspace = await createWorkspace(t, owner, 'Readers');
    await addWorkspaceMember(t, workspace.id, viewer, 'viewer');
    const conversation = await createWorkspaceConversation(t, owner, workspace.id);
    const body = { language: 'python', code: 'print(1)', conversationId: conversation.id };
    expectError(await as.post(viewer, '/api/code/execute', body), 403, 'forbidden');
    expectError(await as.post(stranger, '/api/code/execute', body), 404, 'not_found');
    const mine = await createConversation(t, owner);
    const elsewhere = { ...body, conversationId: mine.id, messageId: (await createWorkspaceMessage(owner, conversation.id)).id };
    expectError(await as.post(owner, '/api/code/execute', elsewhere), 404, 'not_found');
    // Nothing ran for any of them.
    for (const user of [viewer, stranger, owner]) expect((await as.get(user, '/api/code/executions')).body.data).toEqual([]);
  });

  const createWorkspaceMessage = async (user: Parameters<typeof as.post>[0], conversationId: string) =>
    (await as.post(user, `/api/conversations/${conversationId}/messages`, { role: 'user', content: 'print(1)' })).body.data as {
      id: string;
    };

  it('keeps code and output only for the retention period, and the record after it', async () => {
    const user = await registerUser(t);
    const run = await as.post(user, '/api/code/execute', { language: 'bash', code: 'echo kept' });
    // Eight days ago: past the default retention of seven.
    await t.services
      .db('code_executions')
      .where({ id: run.body.data.id })
      .update({ created_at: new Date(Date.now() - 8 * 86_400_000) });
    const hidden = await as.get(user, `/api/code/executions/${run.body.data.id}`);
    expect(hidden.body.data).toMatchObject({ code: null, stdout: null, stderr: null, exitCode: 0, codeSha256: run.body.data.codeSha256 });

    expect(await purgeExpiredExecutions(t.services.db, 7)).toBeGreaterThanOrEqual(1);
    const row = await t.services.db('code_executions').where({ id: run.body.data.id }).first();
    expect(row).toMatchObject({ code: null, stdout: null, stderr: null, exit_code: 0, purged_at: expect.any(Date) });
  });
});

describe('code execution API under pressure', () => {
  let t: TestApp;
  const as = requestsAs(() => t);

  beforeAll(async () => {
    t = await startTestApp({
      env: { CODE_EXEC_CONCURRENCY: '1', CODE_EXEC_QUEUE: '0', RATE_LIMIT_CODE_EXEC_PER_USER: '3', CODE_EXEC_RETENTION_DAYS: '0' },
    });
  });
  afterAll(async () => t?.close());

  const running = async () => {
    const metrics = await t.request.get('/metrics');
    return /code_execution_queue\{[^}]*state="running"[^}]*\} 1\n/.test(metrics.text);
  };

  it('refuses a run with 503 busy and Retry-After while the node’s slots and queue are full, and keeps answering', async () => {
    const [first, second] = [await registerUser(t), await registerUser(t)];
    // then(): supertest sends a request only once it is awaited or then-ed.
    const hold = { language: 'javascript', code: 'while (true) {}', timeoutMs: 3_000 };
    const long = as.post(first, '/api/code/execute', hold).then((res) => res);
    const deadline = Date.now() + 10_000;
    while (!(await running())) {
      if (Date.now() > deadline) throw new Error('the long run never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const refused = await as.post(second, '/api/code/execute', { language: 'javascript', code: '1' });
    expectError(refused, 503, 'busy');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The API itself answers meanwhile.
    expect((await t.request.get('/healthz')).status).toBe(200);
    expect((await long).body.data).toMatchObject({ limit: 'time' });
  }, 30_000);

  it('limits runs per user per minute with 429, and keeps no code or output when retention is 0', async () => {
    const user = await registerUser(t);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await as.post(user, '/api/code/execute', { language: 'javascript', code: `console.log(${i})` }));
    expect(runs.map((res) => res.body.data.stdout)).toEqual(['0\n', '1\n', '2\n']);
    const limited = await as.post(user, '/api/code/execute', { language: 'javascript', code: '1' });
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const stored = await as.get(user, `/api/code/executions/${runs[0]!.body.data.id}`);
    expect(stored.body.data).toMatchObject({ code: null, stdout: null, exitCode: 0 });
  }, 30_000);
});

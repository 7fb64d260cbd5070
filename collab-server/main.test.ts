import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../test/http.ts';
import { createConversation, registerUser } from '../test/factories.ts';
import { acknowledged, documentInDatabase, openProvider, waitFor, type TestProvider } from '../test/collab.ts';
import { spawnEntryPoint, type EntryPointProcess } from '../test/processes.ts';

describe('collab-server/main.ts', () => {
  let t: TestApp;
  let collab: EntryPointProcess;
  let port: number;
  let opened: TestProvider | undefined;

  beforeAll(async () => {
    // The test app owns a fresh database (dropped in afterAll); the child runs on that same database.
    t = await startTestApp();
    collab = spawnEntryPoint('collab-server/main.ts', {
      DATABASE_URL: t.config.DATABASE_URL!,
      JWT_SECRET: TEST_JWT_SECRET,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      COLLAB_PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: '/nonexistent-test-data-dir',
    });
    port = Number((await collab.waitForLog('collab-server listening')).port);
  }, 90_000);
  afterAll(async () => {
    opened?.destroy();
    await collab?.kill();
    await t?.close();
  });

  it('refuses to start without DATABASE_URL, naming the variable', async () => {
    const alone = spawnEntryPoint('collab-server/main.ts', {
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      DATA_DIR: '/nonexistent-test-data-dir',
    });
    await expect(alone.exited).resolves.toEqual({ code: 1, signal: null });
    expect(alone.stderr()).toMatch(/DATABASE_URL is required/);
  });

  it('serves a conversation to its owner and exits 0 on SIGTERM, closing the connection and storing the document', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    opened = openProvider(`ws://127.0.0.1:${port}`, `conversation:${conversation.id}`, owner.accessToken);
    await expect(opened.outcome).resolves.toEqual({ status: 'authenticated', scope: 'read-write' });
    await opened.synced;
    let closed = false;
    opened.provider.on('close', () => (closed = true));
    // Acknowledged, but not yet stored: the store waits for two quiet seconds, SIGTERM comes first.
    opened.doc.getText('title').insert(0, 'Stored on the way out');
    await acknowledged(opened.provider);

    collab.child.kill('SIGTERM');
    await expect(collab.exited).resolves.toEqual({ code: 0, signal: null });
    expect(collab.logs.find((line) => line.msg === 'shutdown step done' && line.step === 'collab')).toBeDefined();
    expect(collab.logs.find((line) => line.msg === 'stopped')).toMatchObject({ code: 0 });
    await waitFor('the provider to see its connection close', () => closed);
    const stored = await t.services.db('conversation_states').where({ conversation_id: conversation.id }).first();
    expect(stored).toBeDefined();
    expect(await t.services.db('conversation_updates').where({ conversation_id: conversation.id }).first()).toBeUndefined();
    expect((await documentInDatabase(t.services.db, conversation.id)).getText('title').toString()).toBe('Stored on the way out');
  }, 30_000);
});

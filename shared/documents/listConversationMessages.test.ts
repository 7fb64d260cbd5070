import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SAMPLES, jpegOfSize, uploaded } from '../../rest-api/modules/attachments/attachments.fixtures.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { startTestApp, type TestApp, type TestBackend } from '../../test/http.ts';
import { listConversationMessages } from './listConversationMessages.ts';

describe.each<TestBackend>(['postgres', 'pglite'])('listConversationMessages on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;
  let storageDir: string;

  beforeAll(async () => {
    storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-list-messages-'));
    t = await startTestApp({ backend, env: { STORAGE_DIR: storageDir } });
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await fs.rm(storageDir, { recursive: true, force: true });
  });

  const post = async (conversationId: string, content: string, attachmentIds?: string[]) => {
    const res = await t.request
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content, attachmentIds });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; createdAt: string };
  };

  it('reads every message with its attachments in upload order, in one query', async () => {
    const { id } = await createConversation(t, owner);
    const files = [
      await uploaded(t, owner, id, SAMPLES.png, 'a.png'),
      await uploaded(t, owner, id, SAMPLES.text, 'b.txt'),
      await uploaded(t, owner, id, jpegOfSize(2048), 'c.jpg'),
    ];
    const first = await post(id, 'first', [files[2]!.id, files[0]!.id]);
    const second = await post(id, 'second');
    const third = await post(id, 'third', [files[1]!.id]);

    const queries: string[] = [];
    const count = (query: { sql: string }) => queries.push(query.sql);
    t.services.db.on('query', count);
    const messages = await listConversationMessages(t.services.db, id).finally(() => t.services.db.off('query', count));

    expect(queries).toHaveLength(1);
    const compact = (file: (typeof files)[number]) => ({ id: file.id, name: file.name, contentType: file.contentType, size: file.size });
    expect(messages.map((message) => [message.id, message.content, message.attachments])).toEqual([
      [first.id, 'first', [compact(files[0]!), compact(files[2]!)]],
      [second.id, 'second', []],
      [third.id, 'third', [compact(files[1]!)]],
    ]);
    expect(messages[0]!.createdAt).toBe(first.createdAt);
    // Who posted it: a person here (service accounts' messages: rest-api/modules/serviceAccounts/serviceAccounts.collab.test.ts).
    expect(messages[0]).toMatchObject({ author: owner.id, serviceAccount: null });
    expect(typeof messages[0]!.attachments[1]!.size).toBe('number');
  });
});

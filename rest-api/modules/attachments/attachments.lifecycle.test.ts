import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bearer,
  captureLogs,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import {
  DRIVERS,
  SAMPLES,
  TEST_MAX_BYTES,
  eventually,
  jpegOfSize,
  startAttachmentsApp,
  uploadFile,
  uploaded,
  watchPuts,
  type AttachmentsApp,
} from './attachments.fixtures.ts';

const MIB = 1024 * 1024;

/**
 * An upload over a real socket that the test controls part by part: the form's head and `first`
 * bytes go out at once; then the test either finishes the body or cuts the connection.
 */
async function startUpload(a: AttachmentsApp, user: TestUser, conversationId: string, first: Buffer) {
  const server = http.createServer(a.t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const boundary = 'test-boundary-0123456789';
  const req = http.request({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    method: 'POST',
    path: `/api/conversations/${conversationId}/attachments`,
    headers: { ...bearer(user), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' },
  });
  const response = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  req.write(first);
  return {
    response,
    finish: (rest: Buffer) => req.end(Buffer.concat([rest, Buffer.from(`\r\n--${boundary}--\r\n`)])),
    abort: () => req.destroy(),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(DRIVERS)('attachment lifecycle on %s storage', (driver) => {
  let a: AttachmentsApp;
  let owner: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp(driver);
    owner = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  async function storedFor(conversationId: string) {
    return {
      rows: (await a.t.services.db('attachments').where({ conversation_id: conversationId })).length,
      objects: await a.storedKeys(`attachments/${conversationId}/`),
      tempFiles: await a.tempFiles(),
    };
  }
  const NOTHING = { rows: 0, objects: [], tempFiles: [] };

  it('deletes the stored files with their conversation, and only theirs', async () => {
    const conversation = await createConversation(a.t, owner);
    const kept = await createConversation(a.t, owner);
    const onMessage = await uploaded(a.t, owner, conversation.id, SAMPLES.png);
    await uploaded(a.t, owner, conversation.id, SAMPLES.pdf);
    await uploaded(a.t, owner, kept.id, SAMPLES.pdf);
    await a.t.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'x', attachmentIds: [onMessage.id] });
    expect((await storedFor(conversation.id)).objects).toHaveLength(2);

    expect((await a.t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(204);
    expect(await storedFor(conversation.id)).toEqual(NOTHING);
    expect(await storedFor(kept.id)).toMatchObject({ rows: 1, objects: [expect.any(String)] });
  });

  it('deletes the stored files of every conversation of a deleted workspace', async () => {
    const workspace = await createWorkspace(a.t, owner);
    const conversations = [
      await createWorkspaceConversation(a.t, owner, workspace.id),
      await createWorkspaceConversation(a.t, owner, workspace.id),
    ];
    for (const conversation of conversations) await uploaded(a.t, owner, conversation.id, SAMPLES.png);
    expect((await a.t.request.delete(`/api/workspace/${workspace.id}`).set(bearer(owner))).status).toBe(204);
    for (const conversation of conversations) expect(await storedFor(conversation.id)).toEqual(NOTHING);
  });

  it('keeps nothing of an upload whose client goes away mid-body', async () => {
    const conversation = await createConversation(a.t, owner);
    const puts = watchPuts(a.t.services.storage);
    // Past S3's 5 MiB part size: on S3 the abort may land mid-multipart.
    const upload = await startUpload(a, owner, conversation.id, jpegOfSize(5.5 * MIB));
    try {
      await puts.started;
      if (driver === 'local') await eventually('bytes to reach a temporary file', async () => (await a.tempFiles()).length > 0);
      upload.abort();
      expect(await puts.outcomes()).toEqual(['failed']);
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    } finally {
      puts.restore();
      await upload.close();
    }
  });

  it.each([
    ['415, for text that stops being text', () => Buffer.concat([Buffer.alloc(200 * 1024, 'text\n'), Buffer.from([0xff, 0x00])]), 415],
    ['413, for a file over the cap', () => jpegOfSize(TEST_MAX_BYTES + 1), 413],
  ])('answers %s only once the store has cleaned up after it', async (_case, bytes, status) => {
    const conversation = await createConversation(a.t, owner);
    const events: string[] = [];
    // A store slow to clean up (S3 aborting a multipart upload takes round trips): correct code waits
    // for it however long it takes; the wait only makes an answer that does not wait easy to see.
    const puts = watchPuts(a.t.services.storage, {
      onFailure: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        events.push('store cleaned up');
      },
    });
    try {
      const res = await uploadFile(a.t, owner, conversation.id, bytes(), { filename: 'x' });
      events.push(`answered ${res.status}`);
      expect(events).toEqual(['store cleaned up', `answered ${status}`]);
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    } finally {
      puts.restore();
    }
  });

  it('keeps nothing of an upload whose conversation is deleted while the bytes stream in', async () => {
    const conversation = await createConversation(a.t, owner);
    const puts = watchPuts(a.t.services.storage);
    const upload = await startUpload(a, owner, conversation.id, jpegOfSize(256 * 1024));
    try {
      await puts.started;
      expect((await a.t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(204);
      upload.finish(jpegOfSize(256 * 1024));
      expect((await upload.response).status).toBe(404);
      // The bytes reached the store after the conversation's files were deleted, and were removed when no row could hold them.
      expect(await puts.outcomes()).toEqual(['stored']);
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    } finally {
      puts.restore();
      await upload.close();
    }
  });
});

describe('deleting a conversation while S3 is down', () => {
  const { log, lines } = captureLogs();
  let a: AttachmentsApp;
  let owner: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp('s3', { log });
    owner = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  it('still deletes the conversation, leaves no row behind, and logs the files it could not delete', async () => {
    const conversation = await createConversation(a.t, owner);
    await uploaded(a.t, owner, conversation.id, SAMPLES.png);
    await a.s3!.stop();

    expect((await a.t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(204);
    expect(await a.t.services.db('conversations').where({ id: conversation.id })).toEqual([]);
    expect(await a.t.services.db('attachments').where({ conversation_id: conversation.id })).toEqual([]);
    const logged = lines
      .map((line) => JSON.parse(line))
      .find((line) => line.msg === 'could not delete the attachment objects of a deleted conversation');
    expect(logged).toMatchObject({ level: 50, conversationId: conversation.id, err: expect.any(Object) });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SNIFF_BYTES } from '../../http/upload/sniffContentType.ts';
import { expectError } from '../../../test/assertions.ts';
import {
  addWorkspaceMember,
  bearer,
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
  jpegOfSize,
  sha256,
  startAttachmentsApp,
  uploadFile,
  uploaded,
  type AttachmentsApp,
} from './attachments.fixtures.ts';

const KEY_OF = (conversationId: string) => new RegExp(`^attachments/${conversationId}/[0-9a-f-]{36}$`);

describe.each(DRIVERS)('attachments on %s storage', (driver) => {
  let a: AttachmentsApp;
  let owner: TestUser;
  let outsider: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp(driver);
    owner = await registerUser(a.t);
    outsider = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  /** What the store and the database hold for a conversation: nothing, after a refused upload. */
  async function storedFor(conversationId: string) {
    return {
      rows: await a.t.services
        .db('attachments')
        .where({ conversation_id: conversationId })
        .count<[{ count: string }]>('* as count')
        .then(([r]) => Number(r!.count)),
      objects: await a.storedKeys(`attachments/${conversationId}/`),
      tempFiles: await a.tempFiles(),
    };
  }
  const NOTHING = { rows: 0, objects: [], tempFiles: [] };

  describe('uploading', () => {
    it('stores a file under a generated key and answers 201 with its sniffed type, size and SHA-256', async () => {
      const conversation = await createConversation(a.t, owner);
      const res = await uploadFile(a.t, owner, conversation.id, SAMPLES.png, { filename: 'photo.png', contentType: 'image/png' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        data: {
          id: expect.any(String),
          name: 'photo.png',
          contentType: 'image/png',
          size: SAMPLES.png.length,
          sha256: sha256(SAMPLES.png),
          createdAt: expect.any(String),
        },
      });
      const row = await a.t.services.db('attachments').where({ id: res.body.data.id }).first();
      expect(row).toMatchObject({
        conversation_id: conversation.id,
        uploaded_by: owner.id,
        message_id: null,
        storage_key: expect.stringMatching(KEY_OF(conversation.id)),
      });
      expect(await a.storedKeys(`attachments/${conversation.id}/`)).toEqual([row.storage_key]);
      expect(await a.tempFiles()).toEqual([]);
    });

    it('stores whole a file of any size around the sniffed head, however it arrives', async () => {
      const conversation = await createConversation(a.t, owner);
      for (const size of [SNIFF_BYTES - 1, SNIFF_BYTES, SNIFF_BYTES + 1, 2 * SNIFF_BYTES + 7]) {
        const bytes = jpegOfSize(size);
        const res = await uploadFile(a.t, owner, conversation.id, bytes, { filename: 'photo.jpg', contentType: 'image/jpeg' });
        expect(res.status).toBe(201);
        expect(res.body.data).toMatchObject({ size, sha256: sha256(bytes) });
        const row = await a.t.services.db('attachments').where({ id: res.body.data.id }).first();
        const stored = await a.t.services.storage.get(row.storage_key);
        expect(sha256(Buffer.concat(await stored.body.toArray()))).toBe(sha256(bytes));
      }
    });

    it('takes the type from the bytes, never from the client', async () => {
      const conversation = await createConversation(a.t, owner);
      const pdf = await uploadFile(a.t, owner, conversation.id, SAMPLES.pdf, { filename: 'a.png', contentType: 'image/png' });
      const text = await uploadFile(a.t, owner, conversation.id, SAMPLES.text, {
        filename: 'notes',
        contentType: 'application/x-msdownload',
      });
      expect([pdf.body.data.contentType, text.body.data.contentType]).toEqual(['application/pdf', 'text/plain']);
    });

    it.each([
      ['an ELF executable', 'elf'],
      ['a Windows executable', 'pe'],
    ] as const)('answers 415 for %s renamed to .png and sent as image/png, and keeps nothing', async (_kind, sample) => {
      const conversation = await createConversation(a.t, owner);
      const res = await uploadFile(a.t, owner, conversation.id, SAMPLES[sample], { filename: 'cat.png', contentType: 'image/png' });
      expectError(res, 415, 'unsupported_media_type');
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    });

    it('answers 415 for text that stops being UTF-8 past the first bytes, and keeps nothing', async () => {
      const conversation = await createConversation(a.t, owner);
      const sneaky = Buffer.concat([Buffer.alloc(200 * 1024, 'plain text\n'), Buffer.from([0xff, 0xfe, 0x00])]);
      expectError(
        await uploadFile(a.t, owner, conversation.id, sneaky, { filename: 'notes.txt', contentType: 'text/plain' }),
        415,
        'unsupported_media_type',
      );
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    });

    it('answers 413 past the cap, keeping no row, object or temporary file, but takes a file of exactly the cap', async () => {
      const conversation = await createConversation(a.t, owner);
      expectError(
        await uploadFile(a.t, owner, conversation.id, jpegOfSize(TEST_MAX_BYTES + 1), { filename: 'big.jpg' }),
        413,
        'payload_too_large',
      );
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
      const atCap = await uploadFile(a.t, owner, conversation.id, jpegOfSize(TEST_MAX_BYTES), { filename: 'fits.jpg' });
      expect({ status: atCap.status, size: atCap.body.data?.size }).toEqual({ status: 201, size: TEST_MAX_BYTES });
    });

    it('keeps a path-traversal file name only as a sanitized display name', async () => {
      const conversation = await createConversation(a.t, owner);
      const res = await uploadFile(a.t, owner, conversation.id, SAMPLES.text, { filename: '../../etc/passwd' });
      expect({ status: res.status, name: res.body.data.name }).toEqual({ status: 201, name: 'passwd' });
      const row = await a.t.services.db('attachments').where({ id: res.body.data.id }).first();
      expect(row.storage_key).toMatch(KEY_OF(conversation.id));
      // Nothing anywhere in the store but the generated key.
      expect((await a.storedKeys('')).filter((key) => !key.startsWith('attachments/'))).toEqual([]);
    });

    it('answers 400 for a multipart request without a boundary, and for a form without the file', async () => {
      const conversation = await createConversation(a.t, owner);
      const path = `/api/conversations/${conversation.id}/attachments`;
      const noBoundary = await a.t.request
        .post(path)
        .set(bearer(owner))
        .set('Content-Type', 'multipart/form-data')
        .send('--x\r\n\r\nhello\r\n--x--');
      expectError(noBoundary, 400, 'malformed_multipart');
      expectError(await a.t.request.post(path).set(bearer(owner)), 400, 'validation_failed');
      expectError(await uploadFile(a.t, owner, conversation.id, SAMPLES.png, { field: 'picture' }), 400, 'malformed_multipart');
      const withField = await a.t.request.post(path).set(bearer(owner)).field('note', 'hi').attach('file', SAMPLES.png, 'x.png');
      expectError(withField, 400, 'malformed_multipart');
      expectError(await a.t.request.post(path).set(bearer(owner)).send({ file: 'aGVsbG8=' }), 415, 'unsupported_media_type');
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
    });

    it('is the only kind of route that takes multipart: others still answer 415', async () => {
      const res = await a.t.request.post('/api/conversations').set(bearer(owner)).attach('file', SAMPLES.png, 'x.png');
      expectError(res, 415, 'unsupported_media_type');
    });

    it('is described in the OpenAPI document as a multipart body with one binary field', async () => {
      const { body } = await a.t.request.get('/api/openapi.json');
      const operation = body.paths['/api/conversations/{id}/attachments'].post;
      expect(operation.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({
        type: 'string',
        format: 'binary',
      });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '413', '415']));
    });

    it('answers 404 to an outsider and 403 to a workspace viewer, before reading the body', async () => {
      const conversation = await createConversation(a.t, owner);
      expectError(await uploadFile(a.t, outsider, conversation.id, SAMPLES.png), 404, 'not_found');
      const workspace = await createWorkspace(a.t, owner);
      const teamConversation = await createWorkspaceConversation(a.t, owner, workspace.id);
      const viewer = await registerUser(a.t);
      await addWorkspaceMember(a.t, workspace.id, viewer, 'viewer');
      expectError(await uploadFile(a.t, viewer, teamConversation.id, SAMPLES.png), 403, 'forbidden');
      expect(await storedFor(conversation.id)).toEqual(NOTHING);
      expect(await storedFor(teamConversation.id)).toEqual(NOTHING);
    });
  });

  describe('on messages', () => {
    const postMessage = (user: TestUser, conversationId: string, attachmentIds: string[]) =>
      a.t.request
        .post(`/api/conversations/${conversationId}/messages`)
        .set(bearer(user))
        .send({ role: 'user', content: 'see attached', attachmentIds });

    it('puts uploaded files on a posted message, which lists them wherever it is read', async () => {
      const conversation = await createConversation(a.t, owner);
      const first = await uploaded(a.t, owner, conversation.id, SAMPLES.png, 'one.png');
      const second = await uploaded(a.t, owner, conversation.id, SAMPLES.pdf, 'two.pdf');
      const posted = await postMessage(owner, conversation.id, [second.id, first.id]);
      expect(posted.status).toBe(201);
      expect(posted.body.data.attachments).toEqual([first, second].map((a) => ({ ...a, analysis: null })));
      const listed = await a.t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(owner));
      expect(listed.body.data[0].attachments).toEqual([first, second].map((a) => ({ ...a, analysis: null })));
      const read = await a.t.request.get(`/api/conversations/${conversation.id}/messages/${posted.body.data.id}`).set(bearer(owner));
      expect(read.body.data.attachments).toEqual([first, second].map((a) => ({ ...a, analysis: null })));
    });

    it("answers 404 for another conversation's or uploader's attachment, 409 for one already on a message, and posts nothing", async () => {
      const conversation = await createConversation(a.t, owner);
      const elsewhere = await uploaded(a.t, owner, (await createConversation(a.t, owner)).id, SAMPLES.png);
      const workspace = await createWorkspace(a.t, owner);
      const team = await createWorkspaceConversation(a.t, owner, workspace.id);
      const member = await registerUser(a.t);
      await addWorkspaceMember(a.t, workspace.id, member, 'member');
      const members = await uploaded(a.t, member, team.id, SAMPLES.png);
      const used = await uploaded(a.t, owner, conversation.id, SAMPLES.png);
      expect((await postMessage(owner, conversation.id, [used.id])).status).toBe(201);

      expectError(await postMessage(owner, conversation.id, [elsewhere.id]), 404, 'not_found');
      expectError(await postMessage(owner, team.id, [members.id]), 404, 'not_found');
      expectError(await postMessage(owner, conversation.id, [used.id]), 409, 'attachment_already_attached');
      expectError(await postMessage(owner, conversation.id, Array(11).fill(used.id)), 400, 'validation_failed');
      const messages = await a.t.services
        .db('messages')
        .whereIn('conversation_id', [conversation.id, team.id])
        .count<[{ count: string }]>('* as count');
      expect(Number(messages[0]!.count)).toBe(1);
      // And the attachment of another conversation stays unreadable through this one's id.
      expectError(await a.t.request.get(`/api/attachments/${members.id}`).set(bearer(outsider)), 404, 'not_found');
    });
  });
});

describe('attachments on the embedded default: PGlite and a local directory', () => {
  let a: AttachmentsApp;
  beforeAll(async () => {
    a = await startAttachmentsApp('local', { backend: 'pglite' });
  });
  afterAll(() => a?.close());

  it('uploads, attaches, downloads and deletes with its conversation', async () => {
    const owner = await registerUser(a.t);
    const conversation = await createConversation(a.t, owner);
    const file = await uploaded(a.t, owner, conversation.id, SAMPLES.pdf, 'plan.pdf');
    const posted = await a.t.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'plan attached', attachmentIds: [file.id] });
    expect(posted.body.data.attachments).toEqual([{ ...file, analysis: null }]);
    const res = await a.t.request.get(`/api/attachments/${file.id}`).set(bearer(owner)).buffer(true);
    expect({ status: res.status, type: res.headers['content-type'], size: Number(res.headers['content-length']) }).toEqual({
      status: 200,
      type: 'application/pdf',
      size: SAMPLES.pdf.length,
    });
    expect((await a.t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(204);
    expect(await a.storedKeys(`attachments/${conversation.id}/`)).toEqual([]);
  });
});

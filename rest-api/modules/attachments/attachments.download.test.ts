import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
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
import { postShare, viewShare } from '../shares/shares.fixtures.ts';
import { DRIVERS, SAMPLES, sha256, startAttachmentsApp, uploaded, type AttachmentsApp } from './attachments.fixtures.ts';

/** A response body as raw bytes, whatever its type. */
function bytes(res: unknown, done: (error: Error | null, body: Buffer) => void) {
  const message = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  message.on('data', (chunk: Buffer) => chunks.push(chunk));
  message.on('end', () => done(null, Buffer.concat(chunks)));
}

describe.each(DRIVERS)('downloading attachments from %s storage', (driver) => {
  let a: AttachmentsApp;
  let owner: TestUser;
  let outsider: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp(driver);
    owner = await registerUser(a.t);
    outsider = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  /** GET /api/attachments/:id with the token as bearer; the body as JSON (errors) or, with `asBytes`, raw bytes. */
  const get = (id: string, token: string | null, headers: Record<string, string> = {}) => {
    const req = a.t.request.get(`/api/attachments/${id}`).set(headers);
    return token ? req.set('Authorization', `Bearer ${token}`) : req;
  };
  const download = (id: string, token: string | null, headers: Record<string, string> = {}) =>
    get(id, token, headers).buffer(true).parse(bytes);
  const bytesOf = (res: Response) => res.body as Buffer;

  it('streams the bytes with headers that keep them inert: inline only for a plain image', async () => {
    const conversation = await createConversation(a.t, owner);
    const png = await uploaded(a.t, owner, conversation.id, SAMPLES.png, 'cat.png');
    const pdf = await uploaded(a.t, owner, conversation.id, SAMPLES.pdf, 'report.pdf');

    const image = await download(png.id, owner.accessToken);
    expect(image.status).toBe(200);
    expect(bytesOf(image).equals(SAMPLES.png)).toBe(true);
    expect(image.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(SAMPLES.png.length),
      'content-disposition': `inline; filename="cat.png"; filename*=UTF-8''cat.png`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      'accept-ranges': 'bytes',
      etag: `"${sha256(SAMPLES.png)}"`,
    });

    const document = await download(pdf.id, owner.accessToken);
    expect(bytesOf(document).equals(SAMPLES.pdf)).toBe(true);
    expect(document.headers['content-type']).toBe('application/pdf');
    expect(document.headers['content-disposition']).toMatch(/^attachment; /);

    const head = await a.t.request.head(`/api/attachments/${pdf.id}`).set(bearer(owner));
    expect({ status: head.status, length: head.headers['content-length'] }).toEqual({ status: 200, length: String(SAMPLES.pdf.length) });
  });

  it('names the file with its exact UTF-8 name and an ASCII fallback', async () => {
    const conversation = await createConversation(a.t, owner);
    const file = await uploaded(a.t, owner, conversation.id, SAMPLES.text, 'résumé "final" (v2).txt');
    const res = await download(file.id, owner.accessToken);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ _final_ (v2).txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%20%28v2%29.txt`,
    );
  });

  it('answers one 404 for a missing attachment and for someone who may not read it; a workspace viewer may', async () => {
    const workspace = await createWorkspace(a.t, owner);
    const conversation = await createWorkspaceConversation(a.t, owner, workspace.id);
    const file = await uploaded(a.t, owner, conversation.id, SAMPLES.png);
    const viewer = await registerUser(a.t);
    await addWorkspaceMember(a.t, workspace.id, viewer, 'viewer');

    const notYours = await get(file.id, outsider.accessToken);
    const missing = await get('00000000-0000-4000-8000-000000000000', outsider.accessToken);
    expectError(notYours, 404, 'not_found');
    expect(notYours.body).toEqual(missing.body);
    expectError(await get('not-a-uuid', owner.accessToken), 404, 'not_found');
    expectError(await get(file.id, null), 401, 'unauthenticated');
    expect((await download(file.id, viewer.accessToken)).status).toBe(200);
  });

  it('lets a share viewer download with the share token, only from the shared conversation and while the share lives', async () => {
    const conversation = await createConversation(a.t, owner);
    const file = await uploaded(a.t, owner, conversation.id, SAMPLES.png, 'shared.png');
    const posted = await a.t.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'look', attachmentIds: [file.id] });
    expect(posted.status).toBe(201);
    const other = await uploaded(a.t, owner, (await createConversation(a.t, owner)).id, SAMPLES.png);
    const share = (await postShare(a.t, owner, { conversationId: conversation.id, permission: 'read' })).body.data;

    const view = await viewShare(a.t, share.id);
    expect(view.body.data.messages[0].attachments).toEqual([{ ...file, analysis: null }]);
    const token = view.body.data.token as string;
    const res = await download(file.id, token);
    expect({ status: res.status, same: bytesOf(res).equals(SAMPLES.png) }).toEqual({ status: 200, same: true });
    expectError(await get(other.id, token), 404, 'not_found');
    // The share token opens this one route, not the rest of the API.
    expectError(
      await a.t.request.get(`/api/conversations/${conversation.id}`).set('Authorization', `Bearer ${token}`),
      401,
      'token_invalid',
    );

    expect((await a.t.request.delete(`/api/share/${share.id}`).set(bearer(owner))).status).toBe(204);
    expectError(await get(file.id, token), 404, 'not_found');
  });

  it('serves one range with 206, the whole file when If-Range names another version, and 416 past the end', async () => {
    const conversation = await createConversation(a.t, owner);
    const file = await uploaded(a.t, owner, conversation.id, SAMPLES.text, 'notes.txt');
    const size = SAMPLES.text.length;

    const middle = await download(file.id, owner.accessToken, { Range: 'bytes=2-9' });
    expect({ status: middle.status, range: middle.headers['content-range'], length: middle.headers['content-length'] }).toEqual({
      status: 206,
      range: `bytes 2-9/${size}`,
      length: '8',
    });
    expect(bytesOf(middle).equals(SAMPLES.text.subarray(2, 10))).toBe(true);

    const suffix = await download(file.id, owner.accessToken, { Range: 'bytes=-5' });
    expect({ status: suffix.status, range: suffix.headers['content-range'] }).toEqual({
      status: 206,
      range: `bytes ${size - 5}-${size - 1}/${size}`,
    });
    expect(bytesOf(suffix).equals(SAMPLES.text.subarray(size - 5))).toBe(true);

    const sameVersion = await download(file.id, owner.accessToken, { Range: 'bytes=0-0', 'If-Range': `"${file.sha256}"` });
    const otherVersion = await download(file.id, owner.accessToken, { Range: 'bytes=0-0', 'If-Range': '"something-else"' });
    expect([sameVersion.status, otherVersion.status, bytesOf(otherVersion).length]).toEqual([206, 200, size]);

    const past = await get(file.id, owner.accessToken, { Range: `bytes=${size}-${size + 10}` });
    expect({ status: past.status, range: past.headers['content-range'] }).toEqual({ status: 416, range: `bytes */${size}` });
    expectError(past, 416, 'range_not_satisfiable');
  });
});

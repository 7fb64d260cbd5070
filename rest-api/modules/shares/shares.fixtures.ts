import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type { TestApp } from '../../../test/http.ts';
import { bearer, createConversation, type TestUser } from '../../../test/factories.ts';

/** What every unusable share answers: unknown, malformed, revoked, expired, used up or not yours. */
export const SHARE_NOT_FOUND = { error: { code: 'not_found', message: 'Share not found' } };

/** The one 404 every unusable share answers: same status, same body, JSON. */
export function expectShareNotFound(res: Response): void {
  expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: SHARE_NOT_FOUND });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
}

/** `POST /api/share` as the user. */
export const postShare = (t: TestApp, user: TestUser, body: object) => t.request.post('/api/share').set(bearer(user)).send(body);

/** `POST /api/share/:id/view`, with no body at all when none is given. */
export function viewShare(t: TestApp, id: string, body?: object) {
  const req = t.request.post(`/api/share/${id}/view`);
  return body === undefined ? req : req.send(body);
}

/** A conversation of the owner's with two messages, and a share of it (read-only unless `body` says otherwise). */
export async function sharedConversation(t: TestApp, owner: TestUser, body: object = {}, title = 'Launch plan') {
  const conversation = await createConversation(t, owner, title);
  for (const content of ['first question', 'first answer']) {
    const res = await t.request.post(`/api/conversations/${conversation.id}/messages`).set(bearer(owner)).send({ role: 'user', content });
    expect(res.status).toBe(201);
  }
  const res = await postShare(t, owner, { conversationId: conversation.id, permission: 'read', ...body });
  expect(res.status).toBe(201);
  return { conversation, share: res.body.data as { id: string; url: string; qrCode: string } };
}

/**
 * Resolves once the share's stored view count is `count`. Views of links without a limit are written in
 * batches (ShareViewCounter.ts, every SHARE_VIEW_FLUSH_MS — 20 ms in tests); this waits for the batch.
 */
export async function viewsWritten(t: TestApp, shareId: string, count: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await t.services.db('shares').where({ id: shareId }).first('view_count');
    if (row?.view_count === count) return;
    if (Date.now() > deadline) throw new Error(`share ${shareId}: ${row?.view_count} views written, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

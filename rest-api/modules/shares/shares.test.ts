import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { expectShareNotFound, postShare, sharedConversation as sharedConversationOf, viewShare, viewsWritten } from './shares.fixtures.ts';
import { renderShareQrCode } from './shareQrCode.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const HOUR = 3_600_000;

/** The body of a response that supertest may hand over as a Buffer or as text. */
const bodyBytes = (res: Response): Buffer => (Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.text));

describe.each(['postgres', 'pglite'] as const)('managing share links on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    owner = await registerUser(t);
    outsider = await registerUser(t);
  });
  afterAll(() => t?.close());

  const createShare = (user: TestUser, body: object) => postShare(t, user, body);
  const view = (id: string, body?: object) => viewShare(t, id, body);
  const sharedConversation = (body?: object, title?: string) => sharedConversationOf(t, owner, body, title);

  describe('creating', () => {
    it('answers 201 with an unguessable id, the link, and a QR code as a PNG data URL', async () => {
      const conversation = await createConversation(t, owner);
      const expiresAt = new Date(Date.now() + 2 * HOUR).toISOString();
      const res = await createShare(owner, { conversationId: conversation.id, permission: 'comment', expiresAt, maxViews: 5 });
      expect(res.status).toBe(201);
      const { id } = res.body.data;
      expect(res.body.data).toEqual({
        id: expect.stringMatching(/^[\w-]{24}$/),
        conversationId: conversation.id,
        permission: 'comment',
        url: `${t.config.APP_URL}/share/${id}`,
        hasPassword: false,
        expiresAt,
        maxViews: 5,
        viewCount: 0,
        revokedAt: null,
        createdBy: owner.id,
        createdAt: expect.any(String),
        qrCode: expect.stringMatching(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/),
      });
      // 24 base64url characters are 144 random bits.
      expect(Buffer.from(id, 'base64url')).toHaveLength(18);
      const png = Buffer.from(res.body.data.qrCode.split(',')[1], 'base64');
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    });

    it('gives every share a different id', async () => {
      const conversation = await createConversation(t, owner);
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) ids.add((await createShare(owner, { conversationId: conversation.id, permission: 'read' })).body.data.id);
      expect(ids.size).toBe(5);
    });

    it('stores only an argon2id hash of the password, and says there is one', async () => {
      const conversation = await createConversation(t, owner);
      const res = await createShare(owner, { conversationId: conversation.id, permission: 'read', password: 'open sesame 42' });
      expect(res.status).toBe(201);
      expect(res.body.data.hasPassword).toBe(true);
      expect(JSON.stringify(res.body)).not.toContain('open sesame');
      const row = await t.services.db('shares').where({ id: res.body.data.id }).first();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    });

    it.each([
      ['an unknown field', { permission: 'read', isAdmin: true }, 'isAdmin'],
      ['an unknown permission', { permission: 'admin' }, 'permission'],
      ['an expiry in the past', { permission: 'read', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      ['an expiry that is not a datetime', { permission: 'read', expiresAt: 'tomorrow' }, 'expiresAt'],
      ['a view limit of zero', { permission: 'read', maxViews: 0 }, 'maxViews'],
      ['a fractional view limit', { permission: 'read', maxViews: 1.5 }, 'maxViews'],
      ['a short password', { permission: 'read', password: 'short' }, 'password'],
      ['no conversation', { conversationId: undefined, permission: 'read' }, 'conversationId'],
    ])('answers 400 for %s', async (_case, body, field) => {
      const conversation = await createConversation(t, owner);
      const res = await createShare(owner, { conversationId: conversation.id, ...body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(field);
      expect(await t.services.db('shares').where({ conversation_id: conversation.id })).toEqual([]);
    });

    it('writes an audit row without the password', async () => {
      const conversation = await createConversation(t, owner);
      const res = await createShare(owner, { conversationId: conversation.id, permission: 'edit', password: 'audit-me-not-123' });
      const [row] = await t.services.db('audit_log').where({ action: 'share.created', subject_id: res.body.data.id });
      expect(row).toMatchObject({ actor_id: owner.id, subject_type: 'share' });
      expect(row.data).toMatchObject({ conversationId: conversation.id, permission: 'edit', hasPassword: true });
      expect(JSON.stringify(row)).not.toContain('audit-me-not');
    });
  });

  describe('the QR code', () => {
    it('is served as a PNG and an SVG of the link', async () => {
      const { share } = await sharedConversation();
      const png = await t.request.get(`/api/share/${share.id}/qr?format=png`).set(bearer(owner));
      expect(png.status).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      expect(bodyBytes(png).subarray(0, 8)).toEqual(PNG_SIGNATURE);
      // The same image the creation answered with. (Buffer.equals: jest's toEqual walks a buffer byte by byte.)
      expect(bodyBytes(png).equals(Buffer.from(share.qrCode.split(',')[1]!, 'base64'))).toBe(true);

      const svg = await t.request.get(`/api/share/${share.id}/qr?format=svg`).set(bearer(owner));
      expect(svg.status).toBe(200);
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(svg.headers['x-content-type-options']).toBe('nosniff');
      const markup = bodyBytes(svg).toString('utf8');
      expect(markup).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      // The image encodes exactly the share's link.
      expect(markup).toBe(await renderShareQrCode(share.url, 'svg'));
      expect(markup).not.toContain('<script');

      const byDefault = await t.request.get(`/api/share/${share.id}/qr`).set(bearer(owner));
      expect(byDefault.headers['content-type']).toBe('image/png');
    });

    it('answers 400 for an unknown format and 404 to anyone who may not manage the conversation', async () => {
      const { share } = await sharedConversation();
      const gif = await t.request.get(`/api/share/${share.id}/qr?format=gif`).set(bearer(owner));
      expect(gif.status).toBe(400);
      expectShareNotFound(await t.request.get(`/api/share/${share.id}/qr`).set(bearer(outsider)));
      expect((await t.request.get(`/api/share/${share.id}/qr`)).status).toBe(401);
    });
  });

  describe('listing', () => {
    it('lists a conversation’s shares newest first, with view counts and never a hash', async () => {
      const conversation = await createConversation(t, owner);
      const first = (await createShare(owner, { conversationId: conversation.id, permission: 'read', password: 'first-password' })).body
        .data;
      const second = (await createShare(owner, { conversationId: conversation.id, permission: 'edit', maxViews: 3 })).body.data;
      await createShare(owner, { conversationId: (await createConversation(t, owner)).id, permission: 'read' });
      for (let i = 0; i < 2; i++) expect((await view(second.id)).status).toBe(200);

      const res = await t.request.get(`/api/share?conversationId=${conversation.id}`).set(bearer(owner));
      expect(res.status).toBe(200);
      expect(res.body.pagination).toEqual({ nextCursor: null });
      expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([second.id, first.id]);
      expect(res.body.data[0]).toMatchObject({ permission: 'edit', viewCount: 2, maxViews: 3, hasPassword: false });
      expect(res.body.data[1]).toMatchObject({ permission: 'read', viewCount: 0, maxViews: null, hasPassword: true });
      expect(res.text).not.toMatch(/argon2|password_hash|passwordHash|qrCode/);
    });

    it('pages through shares created in the same millisecond without skipping or repeating', async () => {
      const conversation = await createConversation(t, owner);
      const created = await Promise.all(
        Array.from({ length: 5 }, () => createShare(owner, { conversationId: conversation.id, permission: 'read' })),
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `conversationId=${conversation.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.request.get(`/api/share?${query}`).set(bearer(owner));
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((s: { id: string }) => s.id));
        cursor = res.body.pagination.nextCursor;
      } while (cursor && seen.length < 20);
      expect(seen.sort()).toEqual(created.map((res) => res.body.data.id).sort());
    });

    it('answers 400 for a cursor it did not issue', async () => {
      const conversation = await createConversation(t, owner);
      const cursor = Buffer.from(JSON.stringify(["x'; drop table shares;--", 'a'])).toString('base64url');
      const res = await t.request.get(`/api/share?conversationId=${conversation.id}&cursor=${cursor}`).set(bearer(owner));
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe('query.cursor');
    });
  });

  describe('revoking', () => {
    it('answers 204, announces share.revoked after the commit, and the link answers 404 from then on', async () => {
      const { conversation, share } = await sharedConversation();
      expect((await view(share.id)).status).toBe(200);
      await viewsWritten(t, share.id, 1);
      const heard = new Promise<{ payload: unknown; revokedAt: unknown }>((resolve) => {
        const stop = t.services.bus.subscribe('share.revoked', async (payload) => {
          if (payload.shareId !== share.id) return;
          stop();
          const row = await t.services.db('shares').where({ id: share.id }).first();
          resolve({ payload, revokedAt: row.revoked_at });
        });
      });

      const res = await t.request.delete(`/api/share/${share.id}`).set(bearer(owner));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const event = await heard;
      expect(event.payload).toEqual({ shareId: share.id, conversationId: conversation.id });
      expect(event.revokedAt).toBeInstanceOf(Date);

      expectShareNotFound(await view(share.id));
      expectShareNotFound(await t.request.delete(`/api/share/${share.id}`).set(bearer(owner)));
      const listed = await t.request.get(`/api/share?conversationId=${conversation.id}`).set(bearer(owner));
      expect(listed.body.data[0]).toMatchObject({ id: share.id, revokedAt: expect.any(String) });
      const audit = await t.services.db('audit_log').where({ action: 'share.revoked', subject_id: share.id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_id: owner.id, data: { conversationId: conversation.id, viewCount: 1 } });
    });
  });

  describe('someone who may not manage the conversation', () => {
    it('gets 404 creating, listing or revoking its shares, and changes nothing', async () => {
      const { conversation, share } = await sharedConversation();
      const create = await createShare(outsider, { conversationId: conversation.id, permission: 'edit' });
      expect({ status: create.status, code: create.body.error.code }).toEqual({ status: 404, code: 'not_found' });
      const list = await t.request.get(`/api/share?conversationId=${conversation.id}`).set(bearer(outsider));
      expect({ status: list.status, code: list.body.error.code }).toEqual({ status: 404, code: 'not_found' });
      // The same answer as for a conversation that does not exist.
      const missing = await t.request.get(`/api/share?conversationId=${randomUUID()}`).set(bearer(outsider));
      expect(list.body).toEqual(missing.body);
      expectShareNotFound(await t.request.delete(`/api/share/${share.id}`).set(bearer(outsider)));

      expect(await t.services.db('shares').where({ conversation_id: conversation.id })).toHaveLength(1);
      expect((await view(share.id)).status).toBe(200);
    });

    it('gets 401 without signing in', async () => {
      const { conversation, share } = await sharedConversation();
      expect((await t.request.post('/api/share').send({ conversationId: conversation.id, permission: 'read' })).status).toBe(401);
      expect((await t.request.get(`/api/share?conversationId=${conversation.id}`)).status).toBe(401);
      expect((await t.request.delete(`/api/share/${share.id}`)).status).toBe(401);
    });
  });
});

describe('share links without APP_URL', () => {
  it('point at the port the product serves on', async () => {
    const t = await startTestApp({ env: { PORT: '3100', APP_URL: '' } });
    try {
      const owner = await registerUser(t);
      const conversation = await createConversation(t, owner);
      const res = await postShare(t, owner, { conversationId: conversation.id, permission: 'read' });
      expect(res.body.data.url).toBe(`http://localhost:3100/share/${res.body.data.id}`);
    } finally {
      await t.close();
    }
  });
});

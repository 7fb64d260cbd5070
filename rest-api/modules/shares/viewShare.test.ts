import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readCollabToken } from '@shared/auth.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import {
  SHARE_NOT_FOUND,
  expectShareNotFound,
  postShare,
  sharedConversation as sharedConversationOf,
  viewShare,
  viewsWritten,
} from './shares.fixtures.ts';

const POLICIES = {
  read: {
    read: true,
    comment: false,
    update: false,
    postMessage: false,
    editMessage: false,
    deleteMessage: false,
    delete: false,
    share: false,
  },
  comment: {
    read: true,
    comment: true,
    update: false,
    postMessage: false,
    editMessage: false,
    deleteMessage: false,
    delete: false,
    share: false,
  },
  edit: { read: true, comment: true, update: true, postMessage: true, editMessage: true, deleteMessage: true, delete: false, share: false },
} as const;

describe.each(['postgres', 'pglite'] as const)('opening share links on %s', (backend) => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  const view = (id: string, body?: object) => viewShare(t, id, body);
  const sharedConversation = (body?: object, title?: string) => sharedConversationOf(t, owner, body, title);

  describe('viewing', () => {
    it('needs no account: returns the conversation, its messages oldest first, and a share token', async () => {
      const { conversation, share } = await sharedConversation();
      const res = await view(share.id);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        data: {
          conversation: {
            id: conversation.id,
            title: 'Launch plan',
            createdAt: expect.any(String),
            updatedAt: expect.any(String),
            policies: POLICIES.read,
          },
          messages: [
            expect.objectContaining({ conversationId: conversation.id, content: 'first question' }),
            expect.objectContaining({ conversationId: conversation.id, content: 'first answer' }),
          ],
          hasMoreMessages: false,
          token: expect.any(String),
          permission: 'read',
          expiresAt: expect.any(String),
        },
      });
      // Which accounts own and wrote the conversation is not the viewer's business.
      expect(res.body.data.conversation).not.toHaveProperty('ownerId');
      expect(res.body.data.messages[0]).not.toHaveProperty('authorId');
      expect(res.text).not.toContain(owner.id);
    });

    it.each(['read', 'comment', 'edit'] as const)(
      'hands out a %s token the collab server accepts for this conversation only',
      async (permission) => {
        const { conversation, share } = await sharedConversation({ permission });
        const res = await view(share.id, {});
        expect(res.status).toBe(200);
        expect(res.body.data.permission).toBe(permission);
        expect(res.body.data.conversation.policies).toEqual(POLICIES[permission]);
        expect(readCollabToken(t.services.tokens, res.body.data.token)).toEqual({
          kind: 'share',
          principal: { type: 'share', shareId: share.id, conversationId: conversation.id, permission },
        });
      },
    );

    it('lets the token live SHARE_TOKEN_TTL_SECONDS, but never past the share’s own expiry', async () => {
      const open = await sharedConversation();
      const before = Date.now();
      const long = await view(open.share.id);
      const ttl = t.config.SHARE_TOKEN_TTL_SECONDS * 1000;
      expect(Date.parse(long.body.data.expiresAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + ttl);
      expect(Date.parse(long.body.data.expiresAt)).toBeLessThanOrEqual(Date.now() + ttl);
      expect(tokenExp(long.body.data.token)).toBe(Date.parse(long.body.data.expiresAt) / 1000);

      const shareExpiry = new Date(Date.now() + 10 * 60_000);
      const soon = await sharedConversation({ expiresAt: shareExpiry.toISOString() });
      const short = await view(soon.share.id);
      expect(short.body.data.expiresAt).toBe(new Date(Math.floor(shareExpiry.getTime() / 1000) * 1000).toISOString());
      expect(tokenExp(short.body.data.token)).toBe(Math.floor(shareExpiry.getTime() / 1000));
    });

    it('returns the first 500 messages and says more follow', async () => {
      const { conversation, share } = await sharedConversation();
      const rows = Array.from({ length: 499 }, (_, i) => ({ conversation_id: conversation.id, role: 'assistant', content: `bulk ${i}` }));
      await t.services.db('messages').insert(rows);
      const res = await view(share.id);
      expect(res.body.data.messages).toHaveLength(500);
      expect(res.body.data.hasMoreMessages).toBe(true);
      expect(res.body.data.messages[0].content).toBe('first question');
      expect(res.body.data.messages[499].content).toBe('bulk 497');
    });

    it('shows SQL and HTML in titles and messages verbatim', async () => {
      const title = "<script>alert(1)</script>'); drop table shares;--";
      const { share } = await sharedConversation({}, title);
      const res = await view(share.id);
      expect(res.body.data.conversation.title).toBe(title);
      await viewsWritten(t, share.id, 1);
    });

    it('counts each view and writes an audit row without secrets', async () => {
      const { share } = await sharedConversation({ password: 'correct-password' });
      expect((await view(share.id, { password: 'correct-password' })).status).toBe(200);
      expect((await view(share.id, { password: 'correct-password' })).status).toBe(200);
      await viewsWritten(t, share.id, 2);
      const audit = await t.services.db('audit_log').where({ action: 'share.viewed', subject_id: share.id });
      expect(audit).toHaveLength(2);
      expect(audit.map((row) => row.data.viewCount).sort()).toEqual([1, 2]);
      expect(audit[0]).toMatchObject({ actor_id: null, subject_type: 'share', ip: expect.any(String), data: { permission: 'read' } });
      expect(JSON.stringify(audit)).not.toMatch(/correct-password|eyJ/);
    });

    it('answers 400 for an unknown field', async () => {
      const { share } = await sharedConversation();
      const res = await view(share.id, { password: 'x', admin: true });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('admin');
    });
  });

  describe('a password-protected share', () => {
    it('answers 401 password_required without a password, invalid_password with a wrong one, and 200 with the right one', async () => {
      const password = "p@ss' OR '1'='1 <b>";
      const { share } = await sharedConversation({ password, maxViews: 1 });
      const missing = await view(share.id);
      expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 401, code: 'password_required' });
      const wrong = await view(share.id, { password: 'not it at all' });
      expect({ status: wrong.status, code: wrong.body.error.code }).toEqual({ status: 401, code: 'invalid_password' });
      expect((await view(share.id, { password: "p@ss' OR '1'='1" })).status).toBe(401);

      // Wrong guesses spent none of the single view.
      expect((await t.services.db('shares').where({ id: share.id }).first()).view_count).toBe(0);
      const right = await view(share.id, { password });
      expect(right.status).toBe(200);
      expect(right.body.data.token).toEqual(expect.any(String));
      expectShareNotFound(await view(share.id, { password }));
    });
  });

  describe('an unusable share', () => {
    it('answers the same 404 when expired, revoked, used up, made up or malformed', async () => {
      const expired = await sharedConversation();
      await t.services
        .db('shares')
        .where({ id: expired.share.id })
        .update({ expires_at: new Date(Date.now() - 1000) });
      const revoked = await sharedConversation();
      expect((await t.request.delete(`/api/share/${revoked.share.id}`).set(bearer(owner))).status).toBe(204);
      const usedUp = await sharedConversation({ maxViews: 1 });
      expect((await view(usedUp.share.id)).status).toBe(200);

      const answers = [
        await view(expired.share.id),
        await view(revoked.share.id),
        await view(usedUp.share.id),
        await view('AAAAAAAAAAAAAAAAAAAAAAAA'),
        await view(encodeURIComponent('not a share!')),
        await view('%00'),
        await view('x'.repeat(300)),
        await view(encodeURIComponent("1' or '1'='1")),
      ];
      for (const res of answers) expectShareNotFound(res);
      expect((await t.services.db('shares').where({ id: usedUp.share.id }).first()).view_count).toBe(1);
    });

    it('answers 404 before asking for a password, so a dead link reveals nothing', async () => {
      const { share } = await sharedConversation({ password: 'some-password' });
      await t.services
        .db('shares')
        .where({ id: share.id })
        .update({ expires_at: new Date(Date.now() - 1000) });
      expectShareNotFound(await view(share.id));
      expectShareNotFound(await view(share.id, { password: 'some-password' }));
    });

    it('dies with its conversation', async () => {
      const { conversation, share } = await sharedConversation();
      expect((await t.request.delete(`/api/conversations/${conversation.id}`).set(bearer(owner))).status).toBe(204);
      expectShareNotFound(await view(share.id));
    });
  });
});

/** The `exp` claim of a JWT, in seconds. */
function tokenExp(token: string): number {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).exp;
}

describe('share links on PostgreSQL under pressure', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_SHARE_PASSWORD_PER_IP: '1000' } });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  async function share(body: object) {
    const conversation = await createConversation(t, owner);
    const res = await postShare(t, owner, { conversationId: conversation.id, permission: 'read', ...body });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  }

  it('lets exactly 10 of 50 simultaneous views through a 10-view limit', async () => {
    const id = await share({ maxViews: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => t.request.post(`/api/share/${id}/view`)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 404)).toHaveLength(40);
    for (const res of answers.filter((r) => r.status === 404)) expect(res.body).toEqual(SHARE_NOT_FOUND);
    expect((await t.services.db('shares').where({ id }).first()).view_count).toBe(10);
    expect(await t.services.db('audit_log').where({ action: 'share.viewed', subject_id: id })).toHaveLength(10);
  });

  it('answers the 11th wrong password within 15 minutes with 429 and Retry-After, even when it is right', async () => {
    const id = await share({ password: 'the-right-password' });
    for (let i = 0; i < 10; i++) {
      const res = await t.request.post(`/api/share/${id}/view`).send({ password: `guess-${i}` });
      expect({ attempt: i, status: res.status, code: res.body.error.code }).toEqual({ attempt: i, status: 401, code: 'invalid_password' });
    }
    const limited = await t.request.post(`/api/share/${id}/view`).send({ password: 'the-right-password' });
    expect({ status: limited.status, code: limited.body.error.code }).toEqual({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await t.services.db('shares').where({ id }).first()).view_count).toBe(0);
    // The limit is the share's: another share still takes guesses.
    const other = await share({ password: 'the-right-password' });
    expect((await t.request.post(`/api/share/${other}/view`).send({ password: 'the-right-password' })).status).toBe(200);
  });

  it('never limits rightful viewers: right passwords spend nothing', async () => {
    const id = await share({ password: 'the-right-password' });
    for (let i = 0; i < 15; i++) {
      expect((await t.request.post(`/api/share/${id}/view`).send({ password: 'the-right-password' })).status).toBe(200);
    }
    expect((await t.request.post(`/api/share/${id}/view`).send({ password: 'wrong-password' })).status).toBe(401);
  });

  it('holds the per-share limit against a burst of parallel guesses', async () => {
    const id = await share({ password: 'the-right-password' });
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => t.request.post(`/api/share/${id}/view`).send({ password: `burst-${i}` })),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });
});

describe('share passwords per client IP', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_SHARE_PASSWORD_PER_IP: '3' } });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  it('limits one client guessing across many shares', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const conversation = await createConversation(t, owner);
      const created = await postShare(t, owner, { conversationId: conversation.id, permission: 'read', password: 'the-right-password' });
      statuses.push((await viewShare(t, created.body.data.id, { password: 'wrong-guess' })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('password guesses cannot lock rightful viewers out', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    // One proxy hop: each request's X-Forwarded-For is its client address, so a spray can rotate them.
    t = await startTestApp({ env: { TRUST_PROXY_HOPS: '1' } });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  let nextAddress = 1;
  const fromNewAddress = () => `198.51.100.${nextAddress++}`;
  const open = (id: string, password: string, cookie?: string) => {
    const req = t.request.post(`/api/share/${id}/view`).set('X-Forwarded-For', fromNewAddress()).send({ password });
    return cookie ? req.set('Cookie', cookie) : req;
  };
  /** The device cookie a response set, as a browser would send it back. */
  const deviceCookieOf = (res: { headers: Record<string, unknown> }) => {
    const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
    const cookie = cookies.find((value) => value.startsWith('twinmcp_share_device='));
    expect(cookie).toBeDefined();
    return cookie!.split(';')[0]!;
  };
  async function passwordShare(body: object = {}) {
    const conversation = await createConversation(t, owner);
    const res = await postShare(t, owner, { conversationId: conversation.id, permission: 'read', password: 'the-right-password', ...body });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  }
  const spray = async (id: string, guesses: number) => {
    for (let i = 0; i < guesses; i++) expect((await open(id, `spray-${i}`)).status).toBe(401);
  };

  it('sets an HttpOnly device cookie scoped to the share once the right password is given', async () => {
    const id = await passwordShare();
    const res = await open(id, 'the-right-password');
    expect(res.status).toBe(200);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] as unknown as string[])
      .find((value) => value.startsWith('twinmcp_share_device='))!;
    expect(cookie).toContain(`Path=/api/share/${id}/view`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await open(id, 'wrong-password')).headers['set-cookie']).toBeUndefined();
  });

  it('lets a browser that gave the right password before in after a spray from rotating addresses used up the link', async () => {
    const id = await passwordShare();
    const rightful = deviceCookieOf(await open(id, 'the-right-password'));
    await spray(id, 10);

    // A stranger is held off, even with the right password: that is what stops the spray.
    const stranger = await open(id, 'the-right-password');
    expect({ status: stranger.status, code: stranger.body.error.code }).toEqual({ status: 429, code: 'rate_limited' });
    // The browser that opened it before is not.
    expect((await open(id, 'the-right-password', rightful)).status).toBe(200);
    expect((await open(id, 'the-right-password', rightful)).status).toBe(200);
  });

  it('does not honour a device cookie of another share, or a forged one', async () => {
    const other = await passwordShare();
    const foreign = deviceCookieOf(await open(other, 'the-right-password'));
    const id = await passwordShare();
    await spray(id, 10);
    expect((await open(id, 'the-right-password', foreign)).status).toBe(429);
    const [name, value] = foreign.split('=');
    const [header, , signature] = value!.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ typ: 'share_device', sid: id, jti: 'a'.repeat(22), iss: 'twinmcp' })).toString(
      'base64url',
    );
    expect((await open(id, 'the-right-password', `${name}=${header}.${forgedClaims}.${signature}`)).status).toBe(429);
  });

  it('still stops guessing through a device cookie: after 5 wrong answers it counts as a stranger', async () => {
    const id = await passwordShare();
    const cookie = deviceCookieOf(await open(id, 'the-right-password'));
    await spray(id, 10);
    for (let i = 0; i < 5; i++) expect((await open(id, `device-guess-${i}`, cookie)).status).toBe(401);
    const res = await open(id, 'the-right-password', cookie);
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 429, code: 'rate_limited' });
  });

  it('answers 20 simultaneous viewers with the right password on a 3-view link: 3 views, 17 used up, none rate-limited', async () => {
    const id = await passwordShare({ maxViews: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => open(id, 'the-right-password')));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 404)).toHaveLength(17);
    expect((await t.services.db('shares').where({ id }).first()).view_count).toBe(3);
  });

  it('lets 30 simultaneous viewers with the right password in on a link with a budget of 10 wrong answers', async () => {
    const id = await passwordShare();
    const answers = await Promise.all(Array.from({ length: 30 }, () => open(id, 'the-right-password')));
    expect(answers.map((res) => res.status)).toEqual(Array.from({ length: 30 }, () => 200));
    // And the budget is untouched: ten wrong answers are still allowed.
    await spray(id, 10);
  });
});

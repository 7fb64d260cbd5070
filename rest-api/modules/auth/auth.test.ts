import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startTestApp, TEST_JWT_SECRET, type TestApp, type TestBackend } from '../../../test/http.ts';
import { SessionRevocations } from '@shared/sessionRevocations.ts';
import { bearer, registerUser } from '../../../test/factories.ts';

/** The session generation an access token carries. */
const generationOf = (token: string) => (jwt.decode(token) as { gen: number }).gen;

const backends: TestBackend[] = ['postgres', 'pglite'];

describe.each(backends)('accounts and sessions on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ backend });
  });
  afterAll(() => t.close());

  it('registers, signs in and answers /me with the user, never the password hash', async () => {
    const res = await t.request.post('/api/auth/register').send({ email: 'Grace@Example.com', password: 'hopper-1906', name: 'Grace' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      data: {
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { id: expect.any(String), email: 'Grace@Example.com', name: 'Grace', createdAt: expect.any(String) },
      },
    });
    const login = await t.request.post('/api/auth/login').send({ email: 'grace@example.COM', password: 'hopper-1906' });
    expect(login.status).toBe(200);
    expect(login.body.data.user.id).toBe(res.body.data.user.id);
    const me = await t.request.get('/api/auth/me').set(bearer(login.body.data));
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual(res.body.data.user);
    expect(JSON.stringify(me.body)).not.toMatch(/argon2|password/i);
  });

  it('stores passwords as argon2id hashes', async () => {
    const user = await registerUser(t);
    const row = await t.services.db('users').where({ id: user.id }).first();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(user.password);
  });

  it('refuses a second account for the same email in any letter case (409)', async () => {
    const user = await registerUser(t);
    const res = await t.request
      .post('/api/auth/register')
      .send({ email: user.email.toUpperCase(), password: 'another-password', name: 'X' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
  });

  it('answers a wrong password and an unknown email with the same generic 401', async () => {
    const user = await registerUser(t);
    const wrong = await t.request.post('/api/auth/login').send({ email: user.email, password: 'not-the-password' });
    const unknown = await t.request.post('/api/auth/login').send({ email: 'nobody@example.com', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: 'Invalid email or password' } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('rotates refresh tokens: each one works once and yields a working pair', async () => {
    const user = await registerUser(t);
    const first = await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.data.refreshToken).not.toBe(user.refreshToken);
    expect((await t.request.get('/api/auth/me').set(bearer(first.body.data))).status).toBe(200);
    const second = await t.request.post('/api/auth/refresh').send({ refreshToken: first.body.data.refreshToken });
    expect(second.status).toBe(200);
  });

  it('treats a replayed refresh token as theft: 401, and the newer token stops working too', async () => {
    const user = await registerUser(t);
    const rotated = await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(rotated.status).toBe(200);
    const replay = await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('token_invalid');
    const newer = await t.request.post('/api/auth/refresh').send({ refreshToken: rotated.body.data.refreshToken });
    expect(newer.status).toBe(401);
    const audit = await t.services.db('audit_log').where({ action: 'refresh_token.reused', actor_id: user.id });
    expect(audit).toHaveLength(1);
  });

  it('ends the access tokens issued before a replay too, and a starting node knows it', async () => {
    const user = await registerUser(t);
    expect((await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(200);
    expect((await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);

    const me = await t.request.get('/api/auth/me').set(bearer(user));
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('session_revoked');
    // A node started after the event reads the revocation from the database.
    const starting = new SessionRevocations(t.config.ACCESS_TOKEN_TTL_SECONDS);
    await starting.load(t.services.db);
    expect(starting.isRevoked(user.id, generationOf(user.accessToken))).toBe(true);

    // Signing in again at once gives a token that works.
    const login = await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
    expect((await t.request.get('/api/auth/me').set(bearer(login.body.data))).status).toBe(200);
    expect(starting.isRevoked(user.id, generationOf(login.body.data.accessToken))).toBe(false);
  });

  it('signs out on every device: every refresh and access token of the user stops working', async () => {
    const user = await registerUser(t);
    const other = await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
    const stranger = await registerUser(t);
    expect((await t.request.post('/api/auth/logout-all').set(bearer(user))).status).toBe(204);

    for (const refreshToken of [user.refreshToken, other.body.data.refreshToken]) {
      expect((await t.request.post('/api/auth/refresh').send({ refreshToken })).status).toBe(401);
    }
    for (const session of [user, other.body.data]) {
      const me = await t.request.get('/api/auth/me').set(bearer(session));
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('session_revoked');
    }
    // Nobody else is signed out.
    expect((await t.request.get('/api/auth/me').set(bearer(stranger))).status).toBe(200);
    expect(await t.services.db('audit_log').where({ action: 'user.logged_out_everywhere', actor_id: user.id })).toHaveLength(1);
    expect((await t.request.post('/api/auth/logout-all')).status).toBe(401);
  });

  it('gives a working token to a sign-in right after signing out everywhere, in the same second, and to its refresh', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await registerUser(t);
      expect((await t.request.post('/api/auth/logout-all').set(bearer(user))).status).toBe(204);
      const login = await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
      expect(login.status).toBe(200);
      expect((await t.request.get('/api/auth/me').set(bearer(login.body.data))).status).toBe(200);
      const refreshed = await t.request.post('/api/auth/refresh').send({ refreshToken: login.body.data.refreshToken });
      expect((await t.request.get('/api/auth/me').set(bearer(refreshed.body.data))).status).toBe(200);
      expect((await t.request.get('/api/auth/me').set(bearer(user))).body.error.code).toBe('session_revoked');
    }
  });

  it('answers 401 token_invalid, never a 500, to a well-signed token of a user that does not exist', async () => {
    const nobody = jwt.sign({ typ: 'access', gen: 0 }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      subject: crypto.randomUUID(),
      issuer: 'twinmcp',
      expiresIn: 600,
    });
    for (const res of [
      await t.request
        .post('/api/conversations')
        .set(bearer({ accessToken: nobody }))
        .send({ title: 'ghost' }),
      await t.request
        .post('/api/workspace')
        .set(bearer({ accessToken: nobody }))
        .send({ name: 'ghost' }),
      await t.request.get('/api/auth/me').set(bearer({ accessToken: nobody })),
    ]) {
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: 'token_invalid' });
    }
  });

  it('refuses a token issued in the future, beyond a minute of clock skew', async () => {
    const user = await registerUser(t);
    const sign = (iat: number) =>
      jwt.sign({ typ: 'access', gen: 0, iat, exp: iat + 600 }, TEST_JWT_SECRET, {
        algorithm: 'HS256',
        subject: user.id,
        issuer: 'twinmcp',
      });
    const now = Math.floor(Date.now() / 1000);
    const future = await t.request.get('/api/auth/me').set(bearer({ accessToken: sign(now + 3_600) }));
    expect({ status: future.status, code: future.body.error.code }).toEqual({ status: 401, code: 'token_invalid' });
    expect((await t.request.get('/api/auth/me').set(bearer({ accessToken: sign(now + 30) }))).status).toBe(200);
  });

  it('stores refresh tokens only as hashes', async () => {
    const user = await registerUser(t);
    const rows = await t.services.db('refresh_tokens').where({ user_id: user.id });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(user.refreshToken);
  });

  it('logs out: the refresh token is revoked; an unknown token is not an error', async () => {
    const user = await registerUser(t);
    expect((await t.request.post('/api/auth/logout').send({ refreshToken: user.refreshToken })).status).toBe(204);
    const after = await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(after.status).toBe(401);
    expect((await t.request.post('/api/auth/logout').send({ refreshToken: 'made-up' })).status).toBe(204);
  });

  it('refuses an expired refresh token with token_expired', async () => {
    const user = await registerUser(t);
    await t.services
      .db('refresh_tokens')
      .where({ user_id: user.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const res = await t.request.post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('writes the audit trail of registration, login and logout', async () => {
    const user = await registerUser(t);
    await t.request.post('/api/auth/login').send({ email: user.email, password: user.password });
    await t.request.post('/api/auth/login').send({ email: user.email, password: 'wrong-password' });
    await t.request.post('/api/auth/logout').send({ refreshToken: user.refreshToken });
    const actions = await t.services.db('audit_log').where({ actor_id: user.id }).orderBy('id').pluck('action');
    expect(actions).toEqual(['user.registered', 'user.logged_in', 'user.login_failed', 'user.logged_out']);
  });
});

describe('access tokens', () => {
  let t: TestApp;
  let userId: string;
  beforeAll(async () => {
    t = await startTestApp();
    userId = (await registerUser(t)).id;
  });
  afterAll(() => t.close());

  const me = (token: string) => t.request.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
  const sign = (claims: object, options: jwt.SignOptions = {}, secret = TEST_JWT_SECRET) =>
    jwt.sign({ typ: 'access', ...claims }, secret, { algorithm: 'HS256', issuer: 'twinmcp', subject: userId, expiresIn: 60, ...options });

  it('accepts a token it issued', async () => {
    expect((await me(sign({}))).status).toBe(200);
  });

  it('refuses a token it accepted before once it has expired', async () => {
    const shortLived = sign({}, { expiresIn: 1 });
    expect((await me(shortLived)).status).toBe(200);
    const { exp } = jwt.decode(shortLived) as { exp: number };
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    const res = await me(shortLived);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('refuses a missing token with unauthenticated', async () => {
    const res = await t.request.get('/api/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('refuses an expired token with token_expired, so the client knows to refresh', async () => {
    const expired = jwt.sign({ typ: 'access', exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, {
      issuer: 'twinmcp',
      subject: userId,
    });
    const res = await me(expired);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('refuses a tampered token, even right after the genuine one was accepted', async () => {
    const genuine = sign({});
    expect((await me(genuine)).status).toBe(200);
    const [header, , signature] = genuine.split('.');
    const forged = Buffer.from(JSON.stringify({ typ: 'access', sub: crypto.randomUUID(), iss: 'twinmcp', exp: 9_999_999_999 })).toString(
      'base64url',
    );
    const res = await me(`${header}.${forged}.${signature}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_invalid');
  });

  it('refuses an alg:none token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ typ: 'access', sub: userId, iss: 'twinmcp', exp: 9_999_999_999 })).toString('base64url');
    const res = await me(`${header}.${payload}.`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_invalid');
  });

  it('refuses tokens signed with another secret, another issuer, or of another kind', async () => {
    for (const token of [
      sign({}, {}, 'another-secret-another-secret-another-secret'),
      sign({}, { issuer: 'someone-else' }),
      sign({ typ: 'refresh' }),
      'not.a.jwt',
    ]) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('token_invalid');
    }
  });
});

describe('rate limits on guessable endpoints (Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_AUTH_PER_EMAIL: '10', RATE_LIMIT_AUTH_PER_IP: '1000' } });
  });
  afterAll(() => t.close());

  it('answers the 11th login attempt for one email within a minute with 429 and Retry-After', async () => {
    const user = await registerUser(t);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const res = await t.request.post('/api/auth/login').send({ email: user.email, password: `guess-${attempt}` });
      expect(res.status).toBe(401);
    }
    const eleventh = await t.request.post('/api/auth/login').send({ email: user.email.toUpperCase(), password: user.password });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.error.code).toBe('rate_limited');
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(eleventh.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('counts in Redis, so every node shares the budget', async () => {
    const keys = await t.services.redis!.keys(`${t.config.REDIS_PREFIX}rl:login-email*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it('limits per IP across emails', async () => {
    const strict = await startTestApp({ env: { RATE_LIMIT_AUTH_PER_IP: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push(
          (await strict.request.post('/api/auth/login').send({ email: `probe${i}@example.com`, password: 'whatever1' })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await strict.close();
    }
  });

  it('limits registration too', async () => {
    const strict = await startTestApp({ env: { RATE_LIMIT_AUTH_PER_IP: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push(
          (await strict.request.post('/api/auth/register').send({ email: `new${i}@example.com`, password: 'password-1', name: 'N' }))
            .status,
        );
      }
      expect(statuses).toEqual([201, 201, 429]);
    } finally {
      await strict.close();
    }
  });
});

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError } from '../../../test/assertions.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { SAMPLES } from '../../modules/attachments/attachments.fixtures.ts';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let conversationId: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await registerUser(t);
  bob = await registerUser(t);
  ({ id: conversationId } = await createConversation(t, alice));
});
afterAll(() => t.close());

const newKey = () => crypto.randomUUID();
const post = (user: TestUser, key: string, content: string) =>
  t.request
    .post(`/api/conversations/${conversationId}/messages`)
    .set(bearer(user))
    .set('Idempotency-Key', key)
    .send({ role: 'user', content });
const messagesWith = async (content: string) => {
  const res = await t.request.get(`/api/conversations/${conversationId}/messages?limit=100`).set(bearer(alice));
  return (res.body.data as Array<{ id: string; content: string }>).filter((message) => message.content === content);
};

describe('Idempotency-Key on POST', () => {
  it('answers a retried post with the first answer and posts the message once', async () => {
    const key = newKey();
    const first = await post(alice, key, 'sent from a train');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const retry = await post(alice, key, 'sent from a train');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await messagesWith('sent from a train')).toHaveLength(1);
  });

  it('refuses the same key for a different request with 422 and posts nothing', async () => {
    const key = newKey();
    expect((await post(alice, key, 'first words')).status).toBe(201);
    expectError(await post(alice, key, 'other words'), 422, 'idempotency_key_reused');
    expect(await messagesWith('other words')).toHaveLength(0);
  });

  it('keeps keys per caller: the same key from someone else is their own request', async () => {
    const key = newKey();
    expect((await post(alice, key, 'alice says')).status).toBe(201);
    const { id: bobsConversation } = await createConversation(t, bob);
    const res = await t.request
      .post(`/api/conversations/${bobsConversation}/messages`)
      .set(bearer(bob))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'bob says' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body.data.content).toBe('bob says');
  });

  it('keeps nothing for a failed request: the same key then runs again', async () => {
    const key = newKey();
    const missing = crypto.randomUUID();
    const failed = await t.request
      .post(`/api/conversations/${missing}/messages`)
      .set(bearer(alice))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'lost?' });
    expectError(failed, 404, 'not_found');
    const res = await post(alice, key, 'lost?');
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await messagesWith('lost?')).toHaveLength(1);
  });

  it('tells a repeat to wait (409, Retry-After) while the first request with the key still runs', async () => {
    const key = newKey();
    // The first request holds its claim: claimed with this very request's fingerprint, not yet answered.
    expect((await post(alice, key, 'slow one')).status).toBe(201);
    await t.services
      .db('idempotency_keys')
      .where({ key })
      .update({ state: 'running', response_status: null, response_body: null, locked_at: t.services.db.fn.now() });
    const repeat = await post(alice, key, 'slow one');
    expectError(repeat, 409, 'idempotency_key_in_progress');
    expect(repeat.headers['retry-after']).toBe('1');
    expect(await messagesWith('slow one')).toHaveLength(1);
  });

  it('takes over a claim left running by a node that died, and a key past its 24 hours', async () => {
    const stale = newKey();
    expect((await post(alice, stale, 'crashed mid-request')).status).toBe(201);
    await t.services
      .db('idempotency_keys')
      .where({ key: stale })
      .update({ state: 'running', locked_at: t.services.db.raw("now() - interval '10 minutes'") });
    const rerun = await post(alice, stale, 'crashed mid-request');
    expect(rerun.status).toBe(201);
    expect(rerun.headers['idempotent-replayed']).toBeUndefined();

    const old = newKey();
    expect((await post(alice, old, 'yesterday')).status).toBe(201);
    await t.services
      .db('idempotency_keys')
      .where({ key: old })
      .update({ created_at: t.services.db.raw("now() - interval '25 hours'") });
    const fresh = await post(alice, old, 'today');
    expect(fresh.status).toBe(201);
    expect(fresh.body.data.content).toBe('today');
  });

  it('refuses a malformed key with 400 before anything runs', async () => {
    expectError(await post(alice, 'x'.repeat(256), 'too long a key'), 400, 'idempotency_key_invalid');
    expectError(await post(alice, 'has spaces in it', 'spaced key'), 400, 'idempotency_key_invalid');
    expect(await messagesWith('too long a key')).toHaveLength(0);
  });

  it('answers a retried upload without storing the file again', async () => {
    const key = newKey();
    const upload = () =>
      t.request
        .post(`/api/conversations/${conversationId}/attachments`)
        .set(bearer(alice))
        .set('Idempotency-Key', key)
        .attach('file', SAMPLES.png, { filename: 'photo.png', contentType: 'image/png' });
    const first = await upload();
    expect(first.status).toBe(201);
    const retry = await upload();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.data.id).toBe(first.body.data.id);
    const stored = await t.services.db('attachments').where({ conversation_id: conversationId, name: 'photo.png' });
    expect(stored).toHaveLength(1);
  });

  it('documents the header on every authenticated POST route', async () => {
    const document = (await t.request.get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> }>>;
    };
    const messagePost = document.paths['/api/conversations/{id}/messages']!.post!;
    expect(messagePost.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
    expect(Object.keys(messagePost.responses)).toEqual(expect.arrayContaining(['409', '422']));
    const login = document.paths['/api/auth/login']!.post!;
    expect(login.parameters ?? []).not.toContainEqual(expect.objectContaining({ name: 'Idempotency-Key' }));
  });
});

describe('Idempotency-Key on the embedded database', () => {
  it('answers a retried post once on PGlite too', async () => {
    const embedded = await startTestApp({ backend: 'pglite' });
    try {
      const user = await registerUser(embedded);
      const conversation = await createConversation(embedded, user);
      const key = newKey();
      const send = () =>
        embedded.request
          .post(`/api/conversations/${conversation.id}/messages`)
          .set(bearer(user))
          .set('Idempotency-Key', key)
          .send({ role: 'user', content: 'on a laptop' });
      const first = await send();
      const retry = await send();
      expect([first.status, retry.status]).toEqual([201, 201]);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      const listed = await embedded.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(user));
      expect(listed.body.data).toHaveLength(1);
    } finally {
      await embedded.close();
    }
  });
});

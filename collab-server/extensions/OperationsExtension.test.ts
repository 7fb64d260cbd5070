import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { createConversation, registerUser } from '../../test/factories.ts';
import { startTestCollab, type TestCollab } from '../../test/collab.ts';

describe('collab operations endpoints', () => {
  let t: TestApp;
  let collab: TestCollab;
  beforeAll(async () => {
    t = await startTestApp();
    collab = await startTestCollab(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  it('answers /healthz while alive', async () => {
    const res = await fetch(`${collab.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports ready when PostgreSQL and Redis answer', async () => {
    const res = await fetch(`${collab.httpUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: true, bus: true } });
  });

  it('exposes open connections, loaded documents and process metrics', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    await collab.connect(`conversation:${conversation.id}`, owner.accessToken).synced;
    const res = await fetch(`${collab.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^collab_connections\{server="collab-server"\} 1$/m);
    expect(text).toMatch(/^collab_documents\{server="collab-server"\} 1$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers other paths with a JSON 404 and other methods with 405', async () => {
    const missing = await fetch(`${collab.httpUrl}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
    const post = await fetch(`${collab.httpUrl}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('reports not ready, and refuses connections as internal_error, when the database is gone', async () => {
    const other = await startTestApp();
    const otherCollab = await startTestCollab(other);
    try {
      const owner = await registerUser(other);
      const conversation = await createConversation(other, owner);
      await other.services.db.destroy();
      const res = await fetch(`${otherCollab.httpUrl}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', checks: { database: false, bus: true } });
      const { outcome } = otherCollab.connect(`conversation:${conversation.id}`, owner.accessToken);
      await expect(outcome).resolves.toEqual({ status: 'refused', reason: 'internal_error' });
    } finally {
      await otherCollab.close();
      await other.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../../test/http.ts';

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers /healthz while alive', async () => {
    const res = await t.request.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('reports ready when PostgreSQL and Redis answer', async () => {
    const res = await t.request.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: true, bus: true } });
  });

  it('exposes request durations by route and status, and process metrics', async () => {
    await t.request.get('/api/conversations');
    const res = await t.request.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/conversations"[^}]*status="401"/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('tags every response with a request id, echoing a safe incoming one', async () => {
    const own = await t.request.get('/healthz').set('X-Request-Id', 'abc-123');
    expect(own.headers['x-request-id']).toBe('abc-123');
    const unsafe = await t.request.get('/healthz').set('X-Request-Id', `bad id ${'x'.repeat(100)}`);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports not ready when the database is gone', async () => {
    const other = await startTestApp();
    await other.services.db.destroy();
    const res = await other.request.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe(false);
    await other.close();
  });
});

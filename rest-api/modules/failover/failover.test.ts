import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';

describe.each(['postgres', 'pglite'] as const)('GET /api/dr/status on %s', (backend) => {
  let t: TestApp;
  let operator: TestUser;
  let someone: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    [operator, someone] = [await registerUser(t), await registerUser(t)];
    await grantOperator(t.services.db, operator.email, 'cli');
  }, 60_000);
  afterAll(() => t?.close());

  it('shows an operator the primary, its standbys and that no failover happened yet', async () => {
    const res = await t.request.get('/api/dr/status').set(bearer(operator));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      primary: { server: backend === 'postgres' ? '127.0.0.1:5432' : null, isFollowing: false, isFailingOver: false },
      standbys: expect.any(Array),
      lastFailover: null,
    });
  });

  it('shows the last failover recorded, with its write gap', async () => {
    await t.services.db('failover_events').insert({
      old_primary: '10.0.0.1:5432',
      new_primary: '10.0.0.2:5432',
      reason: 'ECONNREFUSED',
      reported_by: 'api-1:42',
      detected_at: new Date('2026-12-01T10:00:00.000Z'),
      resolved_at: new Date('2026-12-01T10:00:04.500Z'),
      first_write_at: new Date('2026-12-01T10:00:04.600Z'),
    });
    const res = await t.request.get('/api/dr/status').set(bearer(operator));
    expect(res.body.data.lastFailover).toEqual({
      oldPrimary: '10.0.0.1:5432',
      newPrimary: '10.0.0.2:5432',
      reason: 'ECONNREFUSED',
      reportedBy: 'api-1:42',
      detectedAt: '2026-12-01T10:00:00.000Z',
      resolvedAt: '2026-12-01T10:00:04.500Z',
      firstWriteAt: '2026-12-01T10:00:04.600Z',
      writeGapMs: 4600,
      fencedAt: null,
      promotedAt: null,
    });
  });

  it('is for operators only', async () => {
    expect((await t.request.get('/api/dr/status').set(bearer(someone))).status).toBe(403);
    expect((await t.request.get('/api/dr/status')).status).toBe(401);
  });

  it('answers 501 switchover_unavailable to a switchover without a pg_auto_failover monitor configured', async () => {
    const res = await t.request.post('/api/dr/switchover').set(bearer(operator)).send({});
    expect(res.status).toBe(501);
    expect(res.body.error.code).toBe('switchover_unavailable');
    expect(res.body.error.message).toMatch(/DATABASE_MONITOR_URL/);
  });

  it('refuses a switchover to a non-operator, and asks for a token', async () => {
    expect((await t.request.post('/api/dr/switchover').set(bearer(someone)).send({})).status).toBe(403);
    expect((await t.request.post('/api/dr/switchover').send({})).status).toBe(401);
  });

  it('exports the role and the failover gauges on /metrics', async () => {
    const res = await t.request.get('/metrics');
    expect(res.text).toContain('database_failover_in_progress{server="rest-api"} 0');
    if (backend === 'postgres') expect(res.text).toContain('database_primary{address="127.0.0.1:5432",server="rest-api"} 1');
  });
});

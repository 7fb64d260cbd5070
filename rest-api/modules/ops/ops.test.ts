import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineQueue } from '@shared/jobs/defineQueue.ts';
import { grantOperator, revokeOperator } from '@shared/operators.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { expectError } from '../../../test/assertions.ts';
import { waitUntil } from '../../../test/jobs.ts';

const Payload = z.object({ n: z.number().int() });
const broken = defineQueue({
  name: 'test.broken',
  payload: Payload,
  expireInSeconds: 30,
  retryLimit: 2,
  retryDelaySeconds: 0,
  handler: async ({ n }, { attempt }) => {
    throw new Error(`job ${n} broke on attempt ${attempt}`);
  },
});
const healthy = defineQueue({ name: 'test.healthy', payload: Payload, expireInSeconds: 30, handler: async ({ n }) => ({ n }) });

describe.each(['postgres', 'pglite'] as const)('GET /api/ops/jobs on %s', (backend) => {
  let t: TestApp;
  let operator: TestUser;
  let someone: TestUser;
  const failedIds: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ backend, queues: [broken, healthy] });
    [operator, someone] = [await registerUser(t), await registerUser(t)];
    await grantOperator(t.services.db, operator.email, 'cli');
    // Three jobs that throw on every attempt, and healthy ones queued behind them.
    for (const n of [1, 2, 3]) failedIds.push(await t.services.jobs.enqueue(broken, { n }));
    const healthyIds = await Promise.all([4, 5].map((n) => t.services.jobs.enqueue(healthy, { n })));
    await waitUntil(
      'every job to settle',
      async () => {
        const states = await Promise.all([
          ...failedIds.map((id) => t.services.jobs.findJob(broken, id)),
          ...healthyIds.map((id) => t.services.jobs.findJob(healthy, id)),
        ]);
        return states.every((job) => job?.state === 'failed' || job?.state === 'completed');
      },
      20_000,
    );
  }, 60_000);
  afterAll(() => t?.close());

  const getJobs = (user: TestUser | undefined, query = '') => {
    const req = t.request.get(`/api/ops/jobs${query}`);
    return user ? req.set(bearer(user)) : req;
  };
  const auditCount = async () => Number((await t.services.db('audit_log').count({ n: '*' }))[0]!.n);

  it('shows an operator every queue counted by state, and the jobs that failed after their three attempts', async () => {
    const res = await getJobs(operator);
    expect(res.status).toBe(200);
    const counts = Object.fromEntries(res.body.data.queues.map((queue: { name: string; counts: object }) => [queue.name, queue.counts]));
    expect(counts['test.broken']).toEqual({ created: 0, retry: 0, active: 0, completed: 0, cancelled: 0, failed: 3 });
    expect(counts['test.healthy']).toMatchObject({ completed: 2, failed: 0, created: 0 });
    expect(res.body.data.failed).toHaveLength(3);
    expect(res.body.data.failed.map((job: { id: string }) => job.id).sort()).toEqual([...failedIds].sort());
    for (const job of res.body.data.failed) {
      expect(Object.keys(job).sort()).toEqual(['error', 'failedAt', 'id', 'queue', 'retryCount']);
      expect(job).toMatchObject({ queue: 'test.broken', retryCount: 2, error: expect.stringMatching(/^job \d broke on attempt 2$/) });
    }
    expect(res.body.pagination).toEqual({ nextCursor: null });
  });

  it('pages failed jobs latest first, and filters them by queue', async () => {
    // Failures microseconds apart, in one millisecond: the cursor must keep PostgreSQL's precision.
    for (const [index, id] of failedIds.entries()) {
      await t.services.db.raw(`update pgboss.job set completed_on = '2026-11-29T12:00:00.00012${index}Z' where id = ?`, [id]);
    }
    const first = await getJobs(operator, '?limit=2');
    expect(first.body.data.failed).toHaveLength(2);
    expect(first.body.pagination.nextCursor).toEqual(expect.any(String));
    const second = await getJobs(operator, `?limit=2&cursor=${first.body.pagination.nextCursor}`);
    expect(second.body.data.failed).toHaveLength(1);
    expect(second.body.pagination.nextCursor).toBeNull();
    const all = [...first.body.data.failed, ...second.body.data.failed];
    expect(all.map((job: { id: string }) => job.id).sort()).toEqual([...failedIds].sort());
    const times = all.map((job: { failedAt: string }) => Date.parse(job.failedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    expect((await getJobs(operator, '?queue=test.healthy')).body.data.failed).toEqual([]);
    expectError(await getJobs(operator, '?cursor=bm90LW91cnM'), 400, 'validation_failed');
  });

  it('writes every operator call to the audit log', async () => {
    const before = await auditCount();
    expect((await getJobs(operator)).status).toBe(200);
    const [row] = await t.services
      .db('audit_log')
      .where({ actor_id: operator.id, action: 'operator.request' })
      .orderBy('id', 'desc')
      .limit(1);
    expect(row).toMatchObject({ subject_type: 'route', subject_id: 'GET /api/ops/jobs' });
    expect(await auditCount()).toBe(before + 1);
  });

  it('answers 401 without a token, and 403 forbidden to a signed-in non-operator, changing nothing', async () => {
    const before = await auditCount();
    expectError(await getJobs(undefined), 401, 'unauthenticated');
    expectError(await getJobs(someone), 403, 'forbidden');
    expect(await auditCount()).toBe(before);
    expect(await t.services.db('operators').pluck('user_id')).toEqual([operator.id]);
  });

  it('reads the role on every request: a revoked operator is refused at once, with the same token', async () => {
    await revokeOperator(t.services.db, operator.email, 'cli');
    try {
      expectError(await getJobs(operator), 403, 'forbidden');
    } finally {
      await grantOperator(t.services.db, operator.email, 'cli');
    }
    expect((await getJobs(operator)).status).toBe(200);
  });

  it('documents the route as operator-only in the OpenAPI document', async () => {
    const { body } = await t.request.get('/api/openapi.json');
    const operation = body.paths['/api/ops/jobs'].get;
    expect(operation['x-required-role']).toBe('operator');
    expect(operation.description).toMatch(/operator/);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { gate, startTestServices, waitUntil, type TestServices } from '../../test/jobs.ts';
import { defineQueue } from './defineQueue.ts';
import { listFailedJobs } from './jobOverview.ts';

const Payload = z.object({ n: z.number().int() });

describe.each(['postgres', 'pglite'] as const)('jobs on %s', (backend) => {
  let t: TestServices;
  const seen: Record<string, Array<{ n: number; attempt: number; at: number }>> = {};
  const record = (queue: string, n: number, attempt: number) => (seen[queue] ??= []).push({ n, attempt, at: performance.now() });

  const plain = defineQueue({
    name: 'test.plain',
    payload: Payload,
    expireInSeconds: 30,
    handler: async ({ n }, { attempt }) => {
      record('test.plain', n, attempt);
      return { doubled: n * 2 };
    },
  });
  const failing = defineQueue({
    name: 'test.failing',
    payload: Payload,
    expireInSeconds: 30,
    retryLimit: 2,
    retryDelaySeconds: 1,
    handler: async ({ n }, { attempt }) => {
      record('test.failing', n, attempt);
      throw new Error(`attempt ${attempt} of job ${n} broke`);
    },
  });
  let running = 0;
  let mostRunning = 0;
  const limited = defineQueue({
    name: 'test.limited',
    payload: Payload,
    expireInSeconds: 30,
    concurrency: 2,
    handler: async ({ n }, { attempt }) => {
      mostRunning = Math.max(mostRunning, ++running);
      // Simulated work, long enough that an over-eager worker would start a third job meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 150));
      running--;
      record('test.limited', n, attempt);
    },
  });
  const progressGate = gate();
  const reporting = defineQueue({
    name: 'test.reporting',
    payload: Payload,
    expireInSeconds: 30,
    handler: async ({ n }, { progress }) => {
      await progress({ percent: 40, message: `working on ${n}` });
      await progressGate.opened;
      await progress({ percent: 100, message: 'done' });
    },
  });

  beforeAll(async () => {
    t = await startTestServices(backend);
    for (const queue of [plain, failing, limited, reporting]) t.services.jobs.define(queue);
    await t.services.jobs.start();
  }, 120_000);
  afterAll(async () => {
    progressGate.open();
    await t?.close();
  });

  const jobs = () => t.services.jobs;
  const db = () => t.services.db;

  it('adds no job when the enqueueing transaction rolls back, and runs it once it commits', async () => {
    let rolledBackId: string | undefined;
    await expect(
      db().transaction(async (trx) => {
        rolledBackId = await jobs().enqueue(plain, { n: 1 }, { trx });
        throw new Error('change abandoned');
      }),
    ).rejects.toThrow('change abandoned');
    expect(rolledBackId).toBeDefined();
    expect(await jobs().findJob(plain, rolledBackId!)).toBeUndefined();

    const id = await db().transaction((trx) => jobs().enqueue(plain, { n: 2 }, { trx }));
    await waitUntil('the committed job to complete', async () => (await jobs().findJob(plain, id))?.state === 'completed');
    expect(await jobs().findJob(plain, id)).toMatchObject({ state: 'completed', retryCount: 0, output: { doubled: 4 } });
    expect(seen['test.plain']!.map((run) => run.n)).toEqual([2]);
  });

  it("keeps a job enqueued outside a transaction when another request's transaction rolls back meanwhile", async () => {
    // On PGlite both share one connection: the enqueue must wait for the transaction, not join it.
    const trx = await db().transaction();
    await trx('job_progress').insert({ job_id: '00000000-0000-4000-8000-000000000001', queue: 'unrelated' });
    const pending = jobs().enqueue(plain, { n: 9 });
    await trx.rollback();
    const id = await pending;
    await waitUntil('the job to complete', async () => (await jobs().findJob(plain, id))?.state === 'completed');
  });

  it('refuses a payload its queue does not accept', async () => {
    await expect(jobs().enqueue(plain, { n: 'three' } as unknown as { n: number })).rejects.toThrow();
  });

  it('retries a throwing job with growing delays, marks it failed after its last attempt, and keeps other jobs moving', async () => {
    const id = await jobs().enqueue(failing, { n: 7 });
    // While it fails and waits, other work goes through.
    const other = await jobs().enqueue(plain, { n: 8 });
    await waitUntil('the other job to complete', async () => (await jobs().findJob(plain, other))?.state === 'completed');
    await waitUntil('the failing job to fail for good', async () => (await jobs().findJob(failing, id))?.state === 'failed', 20_000);

    const attempts = seen['test.failing']!.filter((run) => run.n === 7);
    expect(attempts.map((run) => run.attempt)).toEqual([0, 1, 2]);
    // retryDelaySeconds 1 with backoff: at least 1 s before the first retry, at least 2 s before the second.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(1_900);
    const job = await jobs().findJob(failing, id);
    expect(job).toMatchObject({ state: 'failed', retryCount: 2, output: { message: 'attempt 2 of job 7 broke' } });

    const { rows } = await listFailedJobs(db(), { limit: 10 });
    expect(rows).toContainEqual(expect.objectContaining({ id, queue: 'test.failing', error: 'attempt 2 of job 7 broke', retryCount: 2 }));
  }, 120_000);

  it('never runs more jobs of a queue at once than its concurrency', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => jobs().enqueue(limited, { n })));
    await waitUntil('all six to complete', () => (seen['test.limited'] ?? []).length === 6);
    expect(mostRunning).toBe(2);
    // A handler returns before pg-boss records its job complete: wait for the queue's own record.
    const states = async () => Promise.all(ids.map(async (id) => (await jobs().findJob(limited, id))?.state));
    await waitUntil('all six to be recorded complete', async () => (await states()).every((state) => state === 'completed'));
  });

  it('lets callers read the progress a running job reports', async () => {
    const id = await jobs().enqueue(reporting, { n: 3 });
    await waitUntil('progress to be reported', async () => (await jobs().readProgress(id)) !== undefined);
    expect(await jobs().readProgress(id)).toMatchObject({
      jobId: id,
      queue: 'test.reporting',
      percent: 40,
      message: 'working on 3',
      attempt: 0,
    });
    expect((await jobs().findJob(reporting, id))?.state).toBe('active');
    progressGate.open();
    await waitUntil('the job to complete', async () => (await jobs().findJob(reporting, id))?.state === 'completed');
    expect(await jobs().readProgress(id)).toMatchObject({ percent: 100, message: 'done' });
  });
});

describe.each(['postgres', 'pglite'] as const)('stopping the jobs on %s', (backend) => {
  const release = gate();
  const slow = defineQueue({
    name: 'test.slow',
    payload: Payload,
    expireInSeconds: 30,
    concurrency: 2,
    handler: async ({ n }, { signal }) => {
      if (n === 1) await release.opened;
      // The job that outlives the grace period: it ends only when pg-boss gives up on it.
      else await new Promise((resolve) => signal.addEventListener('abort', resolve));
    },
  });
  const stateOf = async (t: TestServices, id: string) =>
    (await t.services.db.raw('select state from pgboss.job where id = ?', [id])).rows[0]?.state;

  it('lets a running job finish, and hands one that outlives the grace period back to its queue', async () => {
    // A grace period far longer than finishing the first job takes, even on a loaded machine.
    const t = await startTestServices(backend, { jobs: { stopTimeoutMs: 5_000 } });
    try {
      t.services.jobs.define(slow);
      await t.services.jobs.start();
      const finishing = await t.services.jobs.enqueue(slow, { n: 1 });
      const outliving = await t.services.jobs.enqueue(slow, { n: 2 });
      await waitUntil(
        'both jobs to run',
        async () => (await stateOf(t, finishing)) === 'active' && (await stateOf(t, outliving)) === 'active',
      );

      let stopped = false;
      const stopping = t.services.jobs.stop().then(() => (stopped = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      await expect(t.services.jobs.enqueue(slow, { n: 3 })).rejects.toThrow('jobs are not running');
      release.open();
      await stopping;
      expect(await stateOf(t, finishing)).toBe('completed');
      expect(await stateOf(t, outliving)).toBe('retry');
    } finally {
      release.open();
      await t.close();
    }
  }, 60_000);
});

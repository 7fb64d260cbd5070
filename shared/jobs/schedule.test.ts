import { afterEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { startTestServices, type TestServices } from '../../test/jobs.ts';
import { defineQueue } from './defineQueue.ts';
import { Jobs } from './Jobs.ts';

const Payload = z.object({ source: z.string() });

describe('scheduled jobs', () => {
  const started: TestServices[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.close()));
  });

  const queueRecording = (runs: string[]) =>
    defineQueue({
      name: 'test.scheduled',
      payload: Payload,
      expireInSeconds: 30,
      handler: async ({ source }) => void runs.push(source),
    });

  it('writes the schedule once for every node, and a later start with the setting unset removes it', async () => {
    const runs: string[] = [];
    const first = await startTestServices('postgres', { jobs: { cronIntervalSeconds: 1 } });
    started.push(first);
    first.services.jobs.define(queueRecording(runs));
    first.services.jobs.schedule(queueRecording(runs), '0 3 * * *', { source: 'cron' });
    await first.services.jobs.start();
    const schedules = await first.services.db('pgboss.schedule').where({ name: 'test.scheduled' });
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toMatchObject({ cron: '0 3 * * *', data: { source: 'cron' } });

    await first.services.jobs.stop();
    const again = new Jobs(first.services.db, first.services.log, {
      databaseUrl: first.databaseUrl,
      work: false,
      concurrency: 1,
      stopTimeoutMs: 1000,
    });
    again.define(queueRecording(runs));
    again.schedule(queueRecording(runs), undefined, { source: 'cron' });
    await again.start();
    await again.stop();
    expect(await first.services.db('pgboss.schedule').where({ name: 'test.scheduled' })).toHaveLength(0);
  }, 40_000);
});

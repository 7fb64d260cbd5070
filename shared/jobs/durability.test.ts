import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TEST_JWT_SECRET } from '../../test/http.ts';
import { startTestServices, waitUntil, type TestServices } from '../../test/jobs.ts';
import { spawnEntryPoint, type EntryPointProcess, type LogLine } from '../../test/processes.ts';
import { durableQueue } from '../../test/fixtures/durableQueue.ts';

const queue = durableQueue('finish');

/** Starts test/fixtures/jobWorker.ts on the same database; resolves once its jobs run. */
async function startWorker(
  database: { DATABASE_URL?: string; DATA_DIR?: string },
  behaviour: 'hang' | 'finish',
): Promise<EntryPointProcess> {
  const worker = spawnEntryPoint('test/fixtures/jobWorker.ts', {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    DATA_DIR: '/nonexistent-test-data-dir',
    JOB_WORKER_BEHAVIOUR: behaviour,
    ...database,
  });
  await worker.waitForLog('job worker ready', 60_000);
  return worker;
}

/** The worker's log line saying it runs (or finished) this job, once there is one. */
async function logOf(worker: EntryPointProcess, msg: string, jobId: string, timeoutMs = 20_000): Promise<LogLine> {
  const find = () => worker.logs.find((line) => line.msg === msg && line.jobId === jobId);
  await waitUntil(
    `"${msg}" for job ${jobId}; stderr: ${worker.stderr()}`,
    () => find() !== undefined || worker.child.exitCode !== null,
    timeoutMs,
  );
  const line = find();
  if (!line) throw new Error(`the worker exited before logging "${msg}": ${worker.stderr()}`);
  return line;
}

describe('a job whose process is killed mid-run', () => {
  const workers: EntryPointProcess[] = [];
  const opened: TestServices[] = [];
  const dataDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    for (const services of opened) await services.close();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** SIGKILLs the worker running the job, and starts another that picks it up; returns how long that took. */
  async function killAndRecover(database: { DATABASE_URL?: string; DATA_DIR?: string }, jobId: string) {
    const doomed = await startWorker(database, 'hang');
    workers.push(doomed);
    const running = await logOf(doomed, 'job running', jobId);
    expect(running).toMatchObject({ attempt: 0, pid: doomed.child.pid });
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedAt = Date.now();

    const survivor = await startWorker(database, 'finish');
    workers.push(survivor);
    const finished = await logOf(survivor, 'job finished', jobId);
    expect(finished).toMatchObject({ attempt: 1, pid: survivor.child.pid });
    const recoveredInMs = Date.now() - killedAt;
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toEqual({ code: 0, signal: null });
    return { recoveredInMs, survivorPid: survivor.child.pid };
  }

  it('on PostgreSQL: runs again in another process and completes there', async () => {
    // This process only enqueues and watches: its own workers are off.
    const t = await startTestServices('postgres', { env: { JOBS_ENABLED: 'false' } });
    opened.push(t);
    t.services.jobs.define(queue);
    await t.services.jobs.start();
    const id = await t.services.db.transaction((trx) => t.services.jobs.enqueue(queue, { label: 'survives' }, { trx }));

    const { recoveredInMs, survivorPid } = await killAndRecover({ DATABASE_URL: t.databaseUrl! }, id);
    expect(await t.services.jobs.findJob(queue, id)).toMatchObject({
      state: 'completed',
      retryCount: 1,
      output: { finishedBy: survivorPid },
    });
    expect(await t.services.jobs.readProgress(id)).toMatchObject({ attempt: 1, message: 'attempt 1 running' });
    // The lease is 3 s and expired jobs are looked for every second; starting a process takes the rest.
    expect(recoveredInMs).toBeLessThan(20_000);
  }, 60_000);

  it('on PGlite: runs again when the data directory is opened by the next process', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-jobs-durable-'));
    dataDirs.push(dataDir);
    // PGlite serves one process at a time: enqueue, close, then hand the directory to the workers.
    const before = await startTestServices('pglite', { dataDir, env: { JOBS_ENABLED: 'false' } });
    let id: string;
    try {
      before.services.jobs.define(queue);
      await before.services.jobs.start();
      id = await before.services.db.transaction((trx) => before.services.jobs.enqueue(queue, { label: 'survives' }, { trx }));
    } finally {
      await before.close();
    }

    const { survivorPid } = await killAndRecover({ DATA_DIR: dataDir }, id);
    const after = await startTestServices('pglite', { dataDir, env: { JOBS_ENABLED: 'false' } });
    opened.push(after);
    after.services.jobs.define(queue);
    await after.services.jobs.start();
    expect(await after.services.jobs.findJob(queue, id)).toMatchObject({
      state: 'completed',
      retryCount: 1,
      output: { finishedBy: survivorPid },
    });
  }, 90_000);
});

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { IsolateBackend } from './IsolateBackend.ts';
import { expectStillAnswers, isolateWorkerPids, runCode, silentLog, waitUntil } from './isolateBackend.fixtures.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** A process that starts a backend with two workers, says so, then idles until killed. */
const BACKEND_HOST = `
import { IsolateBackend } from './shared/sandbox/isolate/IsolateBackend.ts';
import { createLogger } from './shared/logger.ts';
await new IsolateBackend({ workers: 2, log: createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false }) }).start();
process.stdout.write('started\\n');
setInterval(() => {}, 60_000);
`;

/** The pool of worker processes: queueing, replacing dead workers, the kill backstop, closing. */
describe('IsolateBackend workers', () => {
  const backends: IsolateBackend[] = [];
  function createBackend(workers: number, sandboxUid?: number): IsolateBackend {
    const backend = new IsolateBackend({ workers, sandboxUid, log: silentLog });
    backends.push(backend);
    return backend;
  }

  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });
  afterAll(() => waitUntil(() => isolateWorkerPids().length === 0, 'every worker is gone'));

  it('never loads isolated-vm in the calling process, only in its workers', async () => {
    const backend = createBackend(1);
    await expectStillAnswers(backend);
    const [worker] = isolateWorkerPids();
    const nativeAddon = /isolated-vm[^/\n]*\.node$/m;
    expect(readFileSync(`/proc/${worker}/maps`, 'utf8')).toMatch(nativeAddon);
    expect(readFileSync('/proc/self/maps', 'utf8')).not.toMatch(nativeAddon);
  });

  it('runs its workers as the unprivileged sandbox uid when the API runs as root (its own uid otherwise)', async () => {
    const backend = createBackend(1, 65_534);
    await expectStillAnswers(backend);
    const [worker] = isolateWorkerPids();
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m
      .exec(readFileSync(`/proc/${worker}/status`, 'utf8'))!
      .slice(1)
      .map(Number);
    const expected = process.getuid!() === 0 ? 65_534 : process.getuid!();
    // Real, effective and saved: none left at root to switch back to.
    expect(uids).toEqual([expected, expected, expected]);
  });

  it('queues more runs than workers and completes them all, counting the wait in durationMs', async () => {
    const backend = createBackend(2);
    await backend.start();
    const runs = Array.from({ length: 10 }, (_, index) =>
      runCode(backend, `await new Promise((resolve) => setTimeout(resolve, 100)); console.log(${index})`),
    );
    const results = await Promise.all(runs);
    expect(results.map((result) => result.stdout)).toEqual(results.map((_, index) => `${index}\n`));
    expect(results.every((result) => result.exitCode === 0)).toBe(true);
    // Two at a time, 100 ms each: the last of ten cannot have finished sooner than five rounds.
    expect(Math.max(...results.map((result) => result.durationMs))).toBeGreaterThanOrEqual(500);
  });

  it('replaces a worker killed from outside while idle', async () => {
    const backend = createBackend(2);
    await backend.start();
    const [victim, survivor] = isolateWorkerPids();
    process.kill(victim!, 'SIGKILL');
    await waitUntil(() => isolateWorkerPids().length === 2 && !isolateWorkerPids().includes(victim!), 'the killed worker is replaced');
    expect(isolateWorkerPids()).toContain(survivor);
    const results = await Promise.all(Array.from({ length: 4 }, () => runCode(backend, 'console.log(6 * 7)')));
    expect(results.map((result) => result.stdout)).toEqual(['42\n', '42\n', '42\n', '42\n']);
  });

  it('gives a run whose worker was killed before the program reached it to the next worker, instead of failing it', async () => {
    const backend = createBackend(1);
    await backend.start();
    const [victim] = isolateWorkerPids();
    // The backend has not noticed yet: the run is handed to the dead worker, then to its replacement.
    process.kill(victim!, 'SIGKILL');
    const result = await runCode(backend, 'console.log(6 * 7)');
    expect(result).toMatchObject({ stdout: '42\n', stderr: '', exitCode: 0, limit: null });
    expect(isolateWorkerPids()).not.toContain(victim);
  });

  it('answers a run whose worker is killed mid-run with an error, then runs the next one on a new worker', async () => {
    const backend = createBackend(1);
    await backend.start();
    const [victim] = isolateWorkerPids();
    const running = runCode(backend, 'for (;;) {}', { limits: { wallTimeMs: 20_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(victim!, 'SIGKILL');
    const result = await running;
    expect(result).toMatchObject({ stdout: '', exitCode: null, signal: 'SIGKILL', limit: null });
    expect(result.stderr).toContain('The sandbox lost this run');
    await expectStillAnswers(backend);
    expect(isolateWorkerPids()).not.toContain(victim);
  });

  it('kills a worker that does not answer by the wall time plus the grace, and answers time', async () => {
    const backend = createBackend(1);
    await backend.start();
    const [frozen] = isolateWorkerPids();
    const running = runCode(backend, 'for (;;) {}', { limits: { wallTimeMs: 500 } });
    // A stopped worker cannot enforce its own timeout: only the host's backstop can end this run.
    process.kill(frozen!, 'SIGSTOP');
    const result = await running;
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'time' });
    // Not before the wall time plus the grace (500 + 1000 ms). Node's timers count whole milliseconds of the
    // loop's cached clock, so the backstop may fire up to 1 ms before performance.now() says 1500.
    expect(result.durationMs).toBeGreaterThanOrEqual(1_499);
    await expectStillAnswers(backend);
    expect(isolateWorkerPids()).not.toContain(frozen);
  });

  it('leaves no worker behind when the process that owns the backend is SIGKILLed', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BACKEND_HOST], { cwd: PROJECT_ROOT, env: {} });
    try {
      let printed = '';
      host.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await waitUntil(() => printed.includes('started'), 'the backend host has started its workers', 40_000);
      const workers = isolateWorkerPids(host.pid);
      expect(workers).toHaveLength(2);
      host.kill('SIGKILL');
      await waitUntil(() => workers.every((pid) => !existsSync(`/proc/${pid}`)), 'the orphaned workers have exited');
    } finally {
      host.kill('SIGKILL');
    }
  }, 90_000);

  it('kills its workers on close and refuses runs afterwards, including queued ones', async () => {
    const backend = createBackend(1);
    await backend.start();
    const busy = runCode(backend, 'for (;;) {}', { limits: { wallTimeMs: 20_000 } });
    const queued = expect(runCode(backend, '1 + 1')).rejects.toThrow('closed');
    // Lets the first run reach the worker and the second the queue.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await backend.close();
    await queued;
    expect((await busy).exitCode).toBeNull();
    await waitUntil(() => isolateWorkerPids().length === 0, 'the workers are gone');
    await expect(runCode(backend, '1 + 1')).rejects.toThrow('closed');
    await backend.close();
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { expect } from '@jest/globals';
import { createLogger } from '../../logger.ts';
import type { Language, RunResult, SandboxLimits } from '../types.ts';
import type { IsolateBackend } from './IsolateBackend.ts';
import { defaultLimits } from '../limits.ts';

/** Test helpers for the isolate backend's suites. */

export const silentLog = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });

/** The configuration's defaults, with a wall time that a loaded 2-core machine meets for trivial programs. */
export function testLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return defaultLimits({ memoryBytes: 64 * 1024 * 1024, ...overrides });
}

export interface RunOptions {
  language?: Language;
  stdin?: string;
  limits?: Partial<SandboxLimits>;
}

export function runCode(backend: IsolateBackend, code: string, options: RunOptions = {}): Promise<RunResult> {
  return backend.run({ language: options.language ?? 'javascript', code, stdin: options.stdin ?? '', limits: testLimits(options.limits) });
}

/** The backend still runs an ordinary program correctly: asserted after every hostile one. */
export async function expectStillAnswers(backend: IsolateBackend): Promise<void> {
  const result = await runCode(backend, 'console.log(1 + 1)');
  expect(result).toMatchObject({ stdout: '2\n', stderr: '', exitCode: 0, limit: null });
}

/** Pids of the isolate workers of `parentPid` (this process by default), read from /proc: the backend has no test-only accessor. */
export function isolateWorkerPids(parentPid = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command, which may hold spaces) is the parent's pid.
      const isWorker = readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('isolateWorker.ts');
      if (
        stat.startsWith(`${entry} `) &&
        Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parentPid &&
        isWorker &&
        !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
      )
        pids.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return pids;
}

/** Polls `condition` until it holds or `timeoutMs` passes (then fails saying `what`). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

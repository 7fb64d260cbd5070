import { expect } from '@jest/globals';
import { childPidsRunning } from '../../../test/processes.ts';

export { waitUntil } from '../../../test/processes.ts';
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

/** Pids of the isolate workers of `parentPid` (this process by default). */
export const isolateWorkerPids = (parentPid = process.pid): number[] => childPidsRunning('isolateWorker.ts', parentPid);

import { expect } from '@jest/globals';
import fs from 'node:fs';
import { createLogger } from '../../logger.ts';
import type { Language, RunResult, SandboxLimits } from '../types.ts';
import { BubblewrapBackend } from './BubblewrapBackend.ts';
import { DEFAULT_LIMITS } from './testLimits.ts';

export { DEFAULT_LIMITS };

/** The sandbox uid the tests run programs as (the config's default). */
export const SANDBOX_UID = 65_534;

/** A backend as the API would make it; every tool it needs must be installed (a test never skips for want of one). */
export async function startTestBackend(): Promise<BubblewrapBackend> {
  for (const tool of ['/usr/bin/bwrap', '/usr/bin/python3', '/usr/bin/ruby', '/usr/bin/go', '/bin/bash']) {
    if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: apt-get install bubblewrap python3 ruby golang-go bash`);
  }
  const backend = new BubblewrapBackend({ sandboxUid: SANDBOX_UID, slots: 2, log: createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false }) });
  await backend.start();
  return backend;
}

/** Runs `code` with the default limits, overridden by `limits`. */
export function runCode(
  backend: BubblewrapBackend,
  language: Language,
  code: string,
  options: { stdin?: string; limits?: Partial<SandboxLimits> } = {},
): Promise<RunResult> {
  return backend.run({ language, code, stdin: options.stdin ?? '', limits: { ...DEFAULT_LIMITS, ...options.limits } });
}

/**
 * After an attack, nothing of the sandbox uid was left to the host's init (a killed sandbox's processes must be reaped
 * inside it, not orphaned as zombies), and the backend still runs an ordinary program.
 */
export async function expectStillServes(backend: BubblewrapBackend): Promise<void> {
  expect(orphansOfSandboxUid()).toEqual([]);
  const result = await runCode(backend, 'python', 'print(1)');
  expect(result).toMatchObject({ stdout: '1\n', exitCode: 0, limit: null });
}

/** Host processes whose command line contains `marker` (a unique token the test gave a sandboxed process). */
export function hostProcessesMatching(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Processes of the sandbox uid whose parent is the host's init: what a sandbox torn down in the wrong order leaves. */
function orphansOfSandboxUid(): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name: string): string => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
      if (field('Uid') !== String(SANDBOX_UID) || field('PPid') !== '1') continue;
      // JavaScript isolate workers run as the same uid; another suite's, whose owner was just killed, may be
      // an orphan for the moment it takes to notice. They are not this backend's.
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('isolateWorker.ts')) continue;
      found.push(`${entry} ${field('Name')} ${field('State')}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

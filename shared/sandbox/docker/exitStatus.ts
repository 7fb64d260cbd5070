import { constants } from 'node:os';
import type { LimitHit, RunResult } from '../types.ts';

/** What the engine said about a finished container, and what we did to it. */
export interface ContainerEnd {
  /** `State.ExitCode` from inspect. */
  exitCode: number;
  /** `State.OOMKilled` from inspect: the kernel's OOM killer ended a process in the container's memory cgroup. */
  isOomKilled: boolean;
  /** The limit for which we killed the container ourselves (wall time, output), if any. */
  killedFor: 'time' | 'output' | null;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/**
 * Turns a container's end into the contract's exit code, signal and limit. The engine reports a main
 * process killed by signal n as exit code 128 + n (137 for SIGKILL); a program that calls exit(137)
 * itself looks the same, which is the price of reading the engine's word.
 */
export function exitStatus(end: ContainerEnd): Pick<RunResult, 'exitCode' | 'signal' | 'limit'> {
  const signal = end.exitCode > 128 ? (SIGNAL_NAMES.get(end.exitCode - 128) ?? null) : null;
  let limit: LimitHit | null = end.killedFor;
  // Our own kill wins: a flood stopped by us is 'output' even if memory ran short on the way.
  if (!limit && end.isOomKilled) limit = 'memory';
  // RLIMIT_CPU's soft limit sends SIGXCPU; the hard one a second later SIGKILL, as does the OOM killer.
  if (!limit && signal === 'SIGXCPU') limit = 'time';
  if (end.killedFor) return { exitCode: null, signal: 'SIGKILL', limit };
  return signal ? { exitCode: null, signal, limit } : { exitCode: end.exitCode, signal: null, limit };
}

import type { LimitHit } from '../types.ts';

/**
 * Messages between the API process (IsolateBackend) and an isolate worker, over the fork IPC channel.
 * Plain JSON: nothing here may carry a reference into an isolate.
 */

/** Host → worker: run one program; the worker runs one at a time. */
export interface WorkerRunRequest {
  type: 'run';
  /** Echoed in the result, so a late answer from a replaced run is never taken for the current one. */
  id: number;
  language: 'javascript' | 'typescript';
  code: string;
  stdin: string;
  /** Wall time from the worker's receipt of this message; TypeScript stripping counts. */
  wallTimeMs: number;
  /** The isolate's heap limit (isolated-vm's `memoryLimit`, at least 8). */
  memoryMiB: number;
  /** Output kept per stream. */
  outputBytes: number;
}

/** Worker → host: the worker has loaded isolated-vm, warmed the TypeScript stripper and prepared an isolate. */
export interface WorkerReady {
  type: 'ready';
  /** process.versions.v8 of the worker's Node. */
  v8: string;
  /** process.versions.node of the worker. */
  node: string;
}

/**
 * Worker → host: the run arrived and is starting. Until then a worker that dies has not touched the
 * program, so the host gives the run to another worker instead of failing it.
 */
export interface WorkerRunStarted {
  type: 'started';
  id: number;
}

/** Worker → host: how a run ended. */
export interface WorkerRunResult {
  type: 'result';
  id: number;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  limit: LimitHit | null;
  truncated: { stdout: boolean; stderr: boolean };
}

export type WorkerMessage = WorkerReady | WorkerRunStarted | WorkerRunResult;

/** The worker is ours, but a message is still checked before the host trusts its shape. */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  if (typeof message !== 'object' || message === null || !('type' in message)) return false;
  if (message.type === 'ready') return 'v8' in message && typeof message.v8 === 'string';
  return (message.type === 'result' || message.type === 'started') && 'id' in message && typeof message.id === 'number';
}

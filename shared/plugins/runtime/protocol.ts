import type { CapabilityName, InvokeError, InvokeLimits } from './types.ts';

/**
 * Messages between the API process (PluginRuntime) and a plugin worker, over the fork IPC channel.
 * Plain JSON and strings: nothing here carries a reference into an isolate, and the worker is not trusted
 * with any decision the host must make (it forwards capability calls; the host checks them again).
 */

/** Host → worker: run one tool. The worker runs one invocation at a time. */
export interface WorkerInvokeRequest {
  type: 'invoke';
  /** Echoed in calls and the result, so a late answer from an ended invocation is never taken for the current one. */
  id: number;
  /** Plugin id, version and a hash of its source: warm state is kept under it. */
  key: string;
  pluginId: string;
  /** Sent only when the host does not know the worker to hold this key already. */
  source?: string;
  tool: string;
  inputJson: string;
  /** Capability methods to put on `ctx`. */
  grants: CapabilityName[];
  conversationId: string | null;
  limits: InvokeLimits & { maxCalls: number; maxArgBytes: number };
  /** Keys the worker should forget first (the host keeps each worker's warm set bounded). */
  evict: string[];
}

/** Host → worker: the answer to one capability call. `valueJson` is the host's value as JSON. */
export type WorkerCallResult =
  | { type: 'callResult'; invocationId: number; callId: number; ok: true; valueJson: string }
  | { type: 'callResult'; invocationId: number; callId: number; ok: false; error: { code: string; message: string } };

/** Host → worker: end invocation `invocationId` now with `error` (permission denied) and drop its isolate. */
export interface WorkerCancel {
  type: 'cancel';
  invocationId: number;
  error: InvokeError;
}

/** Host → worker: the kill switch. Forget every version of the plugin; a running invocation of it ends as plugin_disabled. */
export interface WorkerDrop {
  type: 'drop';
  pluginId: string;
}

export type HostMessage = WorkerInvokeRequest | WorkerCallResult | WorkerCancel | WorkerDrop;

/** Worker → host: isolated-vm is loaded. */
export interface WorkerReady {
  type: 'ready';
  v8: string;
}

/** Worker → host: the invocation arrived; until then a worker that dies has not touched it (the host may retry it). */
export interface WorkerInvokeStarted {
  type: 'started';
  id: number;
}

/** Worker → host: the plugin called a capability. */
export interface WorkerCall {
  type: 'call';
  invocationId: number;
  callId: number;
  name: string;
  argsJson: string;
}

/** Worker → host: how an invocation ended. `outputJson` is at most `limits.outputBytes` bytes. */
export type WorkerInvokeResult =
  | { type: 'result'; id: number; ok: true; outputJson: string; coldStart: boolean }
  | { type: 'result'; id: number; ok: false; error: InvokeError | { code: 'not_loaded'; message: string }; coldStart: boolean };

export type WorkerMessage = WorkerReady | WorkerInvokeStarted | WorkerCall | WorkerInvokeResult;

/** The worker may be compromised: a message's shape is checked before the host reads it. */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  if (typeof message !== 'object' || message === null || !('type' in message)) return false;
  const fields = message as Record<string, unknown>;
  switch (fields.type) {
    case 'ready':
      return typeof fields.v8 === 'string';
    case 'started':
      return typeof fields.id === 'number';
    case 'call':
      return (
        typeof fields.invocationId === 'number' &&
        typeof fields.callId === 'number' &&
        typeof fields.name === 'string' &&
        typeof fields.argsJson === 'string'
      );
    case 'result':
      if (typeof fields.id !== 'number' || typeof fields.coldStart !== 'boolean') return false;
      if (fields.ok === true) return typeof fields.outputJson === 'string';
      return (
        fields.ok === false &&
        typeof fields.error === 'object' &&
        fields.error !== null &&
        typeof (fields.error as Record<string, unknown>).code === 'string' &&
        typeof (fields.error as Record<string, unknown>).message === 'string'
      );
    default:
      return false;
  }
}

/**
 * The contract of the plugin runtime, as the API process sees it. A plugin is one bundled ES module whose
 * default export is `{ tools: { [name]: async (input, ctx) => output } }`; `ctx` holds only the capability
 * objects its permissions grant, and every capability call is answered by a `PluginHostCalls` bound to the
 * one invocation (the host, not the plugin, decides which conversation, which storage namespace, ...).
 */

/**
 * A permission a plugin's manifest asks for and an admin grants: 'conversations:read' | 'conversations:write' |
 * 'storage' | 'llm' | 'code:execute' | `http:<host>` (`http:api.example.com`, or `http:*.example.com` for its
 * subdomains). A plain string, as stored; one the runtime does not know grants nothing.
 */
export type PluginPermission = string;

/** One installed plugin version, as the runtime needs it. */
export interface RuntimePlugin {
  /** Stable id of the installed plugin (the kill switch and warm state are keyed on it). */
  id: string;
  /** The installed version; a new version (or new source) is compiled afresh. */
  version: string;
  /** The bundled ES module: no imports, default export `{ tools }`. */
  source: string;
  /** What the plugin was granted; `ctx` is built from this and every call is checked against it again. */
  permissions: readonly PluginPermission[];
}

/** Every capability method a plugin may call, named `<ctx object>.<method>`. */
export const CAPABILITY_NAMES = [
  'conversation.read',
  'conversation.post',
  'storage.get',
  'storage.set',
  'storage.delete',
  'llm.complete',
  'http.fetch',
  'code.execute',
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Implemented in the API process and bound to one invocation; answers plain JSON values. */
export interface PluginHostCalls {
  /**
   * Runs capability `name` with the plugin's arguments (parsed JSON, not validated beyond the permission:
   * the implementation checks their shape). Throw a `CapabilityError` for a failure the plugin may see;
   * any other error reaches the plugin as a generic message and is logged. `signal` aborts when the
   * invocation ends (timeout, kill switch) before the call is answered.
   */
  call(name: CapabilityName, args: unknown[], context: { signal: AbortSignal }): Promise<unknown>;
}

/** Limits of one invocation. */
export interface InvokeLimits {
  /** Wall time from dispatch to answer, host calls included, in ms. */
  timeoutMs: number;
  /** Heap of the plugin's isolate, in MiB (at least 8). */
  memoryMiB: number;
  /** Largest JSON-serialised output, in bytes. */
  outputBytes: number;
}

/** isolated-vm refuses a smaller heap. */
export const MIN_MEMORY_MIB = 8;

export const DEFAULT_INVOKE_LIMITS: Readonly<InvokeLimits> = Object.freeze({ timeoutMs: 5_000, memoryMiB: 64, outputBytes: 1024 * 1024 });

/**
 * Why an invocation failed; stable, part of the API contract (the REST layer maps them to HTTP).
 * - `timeout`: past timeoutMs (host calls count). `memory`: the isolate's heap limit.
 * - `output_too_large`: the output serialised past outputBytes. `invalid_output`: not JSON (function, cycle, BigInt).
 * - `tool_not_found`: no such tool. `tool_failed`: the tool threw (its message, cut to 1000 characters).
 * - `permission_denied`: a capability call the plugin was not granted reached the host.
 * - `plugin_disabled`: stopped by the kill switch. `plugin_invalid`: the module does not compile or evaluate, or has no tools.
 * - `worker_lost`: the worker process died for a reason that is not the plugin's memory (killed from outside).
 */
export type InvokeErrorCode =
  | 'timeout'
  | 'memory'
  | 'output_too_large'
  | 'tool_not_found'
  | 'tool_failed'
  | 'permission_denied'
  | 'invalid_output'
  | 'plugin_disabled'
  | 'plugin_invalid'
  | 'worker_lost';

export interface InvokeError {
  code: InvokeErrorCode;
  message: string;
}

export type InvokeResult =
  | { ok: true; output: unknown; durationMs: number; coldStart: boolean }
  | { ok: false; error: InvokeError; durationMs: number; coldStart: boolean };

/** One invocation of one tool. */
export interface InvokeRequest {
  plugin: RuntimePlugin;
  /** The tool's name, a key of the module's `tools`. */
  tool: string;
  /** The tool's input; must be JSON-serialisable (the caller validated it against the tool's schema). */
  input: unknown;
  /** The conversation the tool was invoked in, shown to the plugin as `ctx.invocation.conversationId`. */
  conversationId: string | null;
  /** Answers the plugin's capability calls for this invocation. */
  host: PluginHostCalls;
  /** Overrides of the runtime's defaults. */
  limits?: Partial<InvokeLimits>;
}

/**
 * A capability failure the plugin is allowed to see (`storage quota exceeded`, `HTTP host unreachable`):
 * the plugin's promise rejects with an Error carrying this code and message. Other errors thrown by a
 * `PluginHostCalls` reach the plugin only as `capability_failed`.
 */
export class CapabilityError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CapabilityError';
  }
}

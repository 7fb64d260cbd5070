/**
 * What this module needs of the plugin runtime (shared/plugins/runtime, built apart): the same types,
 * declared here so the module compiles and is tested without it. The real runtime is handed to
 * `pluginRoutes` once it exists; until then invoking answers 503 `plugins_unavailable`.
 */

/** The capabilities a plugin's code may call on the host; each is permission-checked by the host. */
export type CapabilityName =
  | 'conversation.read'
  | 'conversation.post'
  | 'storage.get'
  | 'storage.set'
  | 'storage.delete'
  | 'llm.complete'
  | 'http.fetch'
  | 'code.execute';

/** The host side of one invocation: the runtime forwards the plugin's capability calls here. */
export interface PluginHostCalls {
  /** Resolves with the capability's result, or rejects with a `{ code, message }` the plugin sees as a thrown error. */
  call(name: CapabilityName, args: unknown[]): Promise<unknown>;
}

/** Error codes the runtime answers with. */
export type PluginRuntimeErrorCode =
  | 'timeout'
  | 'memory'
  | 'output_too_large'
  | 'tool_not_found'
  | 'tool_failed'
  | 'permission_denied'
  | 'invalid_output'
  | 'plugin_disabled'
  | 'plugin_invalid';

/** Per-invocation limits; the runtime's defaults apply to what is left out. */
export interface PluginLimits {
  timeoutMs?: number;
  memoryMib?: number;
  outputBytes?: number;
}

/** One tool call, as the runtime takes it. */
export interface PluginInvocation {
  plugin: { id: string; version: string; source: string; permissions: string[] };
  tool: string;
  input: unknown;
  conversationId?: string;
  host: PluginHostCalls;
  limits?: PluginLimits;
}

/** How a tool call ended. */
export type PluginInvocationResult =
  | { ok: true; output: unknown; durationMs: number; coldStart: boolean }
  | { ok: false; error: { code: PluginRuntimeErrorCode; message: string }; durationMs: number; coldStart: boolean };

/** The runtime: runs plugin tools in isolates, never in this process. */
export interface PluginRuntimePort {
  invoke(invocation: PluginInvocation): Promise<PluginInvocationResult>;
  /** Stops the plugin's running invocations and drops its warm isolates. */
  stopPlugin(id: string): Promise<void> | void;
  close(): Promise<void>;
}

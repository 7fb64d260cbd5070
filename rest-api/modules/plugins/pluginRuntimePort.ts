import type { PluginRuntime } from '@shared/plugins/runtime/PluginRuntime.ts';

/**
 * What this module needs of the plugin runtime (shared/plugins/runtime), under the names the module uses:
 * tests hand in a fake with the same shape, the app the real PluginRuntime.
 */
export type {
  CapabilityName,
  PluginHostCalls,
  InvokeErrorCode as PluginRuntimeErrorCode,
  InvokeLimits as PluginLimits,
  InvokeRequest as PluginInvocation,
  InvokeResult as PluginInvocationResult,
} from '@shared/plugins/runtime/types.ts';

/** The runtime: runs plugin tools in isolates, never in this process. */
export type PluginRuntimePort = Pick<PluginRuntime, 'invoke' | 'stopPlugin' | 'close'>;

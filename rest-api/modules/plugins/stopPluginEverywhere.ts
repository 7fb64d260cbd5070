import type { Bus } from '@shared/bus.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import type { RemotePluginCalls } from './RemotePluginCalls.ts';

/**
 * After a commit that takes a plugin out of service: stops it here at once, and tells every other API
 * node (through the bus) to stop its running invocations too. New invocations are refused anyway,
 * since every invoke reads `enabled` from the database.
 */
export async function stopPluginEverywhere(
  deps: { bus: Bus; runtime?: PluginRuntimePort; remote?: RemotePluginCalls },
  pluginId: string,
  reason: 'disabled' | 'uninstalled' | 'pending_consent',
): Promise<void> {
  await deps.runtime?.stopPlugin(pluginId);
  await deps.remote?.stopPlugin(pluginId);
  await deps.bus.publish('plugin.disabled', { pluginId, reason });
}

import type { Actor } from '@shared/auth.ts';
import type { Services } from '@shared/services.ts';
import { CapabilityError, requirePermission } from './capabilities/CapabilityError.ts';
import { completeWithLlm } from './capabilities/completeWithLlm.ts';
import { postToInvokedConversation, readInvokedConversation } from './capabilities/conversationCapabilities.ts';
import { fetchForPlugin } from './capabilities/fetchForPlugin.ts';
import { runCode } from './capabilities/runCode.ts';
import { storageDelete, storageGet, storageSet } from './capabilities/storageCapabilities.ts';
import type { CapabilityName, PluginHostCalls } from './pluginRuntimePort.ts';
import { isPluginEnabled } from './plugins.repo.ts';

interface Props {
  services: Pick<Services, 'db' | 'bus' | 'config' | 'sandbox'>;
  /** Who invoked the tool: every capability acts with this person's access, never more. */
  actor: Actor;
  /** The plugin, with the permissions it holds (asked for AND granted). */
  plugin: { id: string; permissions: readonly string[] };
  /** The conversation the tool was invoked in, if any: the only one conversation capabilities reach. */
  conversationId?: string;
}

/** The permission each capability needs; `http.fetch` also needs the target's own `http:<host>` grant. */
const NEEDS: Record<CapabilityName, string | undefined> = {
  'conversation.read': 'conversations:read',
  'conversation.post': 'conversations:write',
  'storage.get': 'storage',
  'storage.set': 'storage',
  'storage.delete': 'storage',
  'llm.complete': 'llm',
  'http.fetch': undefined,
  'code.execute': 'code:execute',
};

/**
 * The host side of one invocation. Every call re-checks the plugin's permission (the runtime checks
 * too; this is the layer that holds whatever the runtime does), and that the plugin is still enabled,
 * and runs with the caller's access.
 * A call rejects with a CapabilityError (`{ code, message }`), which the plugin sees thrown.
 */
export function createPluginHostCalls({ services, actor, plugin, conversationId }: Props): PluginHostCalls {
  const { db, bus, config, sandbox } = services;
  const scope = { db, pluginId: plugin.id, userId: actor.id };
  const conversation = { db, bus, actor, conversationId };
  const handlers: Record<CapabilityName, (args: unknown[]) => Promise<unknown>> = {
    'conversation.read': () => readInvokedConversation(conversation),
    'conversation.post': (args) => postToInvokedConversation(conversation, args),
    'storage.get': (args) => storageGet(scope, args),
    'storage.set': (args) => storageSet(scope, args),
    'storage.delete': (args) => storageDelete(scope, args),
    'llm.complete': (args) => completeWithLlm(config, args),
    'http.fetch': (args) =>
      fetchForPlugin(plugin.permissions, { timeoutMs: config.PLUGIN_HTTP_TIMEOUT_MS, maxBytes: config.PLUGIN_HTTP_MAX_BYTES }, args),
    'code.execute': (args) => runCode({ config, sandbox }, args),
  };
  return {
    async call(name, args) {
      if (!Object.hasOwn(handlers, name)) throw new CapabilityError('unknown_capability', `No capability ${String(name)}`);
      const permission = NEEDS[name];
      if (permission) requirePermission(plugin.permissions, permission);
      // The kill switch holds here too: a call still running on a node the bus has not reached yet acts no more.
      if (!(await isPluginEnabled(db, plugin.id))) throw new CapabilityError('plugin_disabled', 'The plugin was disabled');
      return handlers[name](Array.isArray(args) ? args : []);
    },
  };
}

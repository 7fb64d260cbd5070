import { api, type PluginTool } from './api.ts';

/** A tool someone may run in a conversation, with the plugin it belongs to. */
export interface AvailableTool {
  pluginId: string;
  pluginName: string;
  tool: PluginTool;
}

/**
 * The tools of the plugins a conversation may use: its workspace's set, or the default set for a personal
 * conversation. Operators are listed every installed plugin, so the list keeps only what the server would
 * run here (enabled, and for personal conversations in the default set).
 */
export async function listConversationTools(workspaceId: string | null): Promise<AvailableTool[]> {
  const { data: plugins } = await api('GET', '/api/plugins', { query: workspaceId ? { workspaceId } : {} });
  return plugins
    .filter((plugin) => plugin.enabled && (workspaceId !== null || plugin.isDefault))
    .flatMap((plugin) => plugin.tools.map((tool) => ({ pluginId: plugin.id, pluginName: plugin.name, tool })));
}

/**
 * Runs a tool in the conversation and posts its result there as a `tool` message, which reaches everyone
 * in the room through the document. `confirm` is the person's yes to a destructive tool.
 */
export async function runToolInConversation(
  available: AvailableTool,
  props: { conversationId: string; input: Record<string, unknown>; confirm: boolean },
): Promise<void> {
  await api('POST', '/api/plugins/{id}/tools/{tool}/invoke', {
    params: { id: available.pluginId, tool: available.tool.name },
    body: { input: props.input, conversationId: props.conversationId, post: true, ...(props.confirm ? { confirm: true } : {}) },
  });
}

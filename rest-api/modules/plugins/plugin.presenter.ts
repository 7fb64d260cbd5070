import type { InvocationRow, ListedPluginRow } from './plugins.repo.ts';
import { displayedRemoteUrl } from './remoteManifest.ts';

/** Permissions the plugin asks for that no operator granted yet. */
export function pendingPermissionsOf(row: Pick<ListedPluginRow, 'permissions' | 'granted_permissions'>): string[] {
  return row.permissions.filter((permission) => !row.granted_permissions.includes(permission));
}

/** A plugin as people see it; operators also see what was granted and what waits for consent. */
export function presentPlugin(row: ListedPluginRow & { workspace_enabled?: boolean }, options: { isOperator: boolean }) {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    publisher: row.publisher,
    description: row.description,
    enabled: row.enabled,
    isDefault: row.is_default,
    kind: row.kind,
    // Some hosted MCP servers carry a key in their path: the address is for operators only.
    ...(options.isOperator && row.remote_url ? { url: displayedRemoteUrl(row.remote_url) } : {}),
    signatureLevel: row.signature_level,
    keyId: row.key_id,
    permissions: row.permissions,
    tools: row.manifest.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: tool.annotations ?? {},
    })),
    installedAt: row.installed_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(options.isOperator ? { grantedPermissions: row.granted_permissions, pendingPermissions: pendingPermissionsOf(row) } : {}),
    ...(row.workspace_enabled !== undefined ? { workspaceEnabled: row.workspace_enabled } : {}),
  };
}

export function presentInvocation(row: InvocationRow) {
  return {
    id: row.id,
    pluginId: row.plugin_id,
    tool: row.tool,
    userId: row.user_id,
    conversationId: row.conversation_id,
    startedAt: row.started_at.toISOString(),
    durationMs: row.duration_ms,
    outcome: row.outcome,
    errorMessage: row.error_message,
    coldStart: row.cold_start,
  };
}

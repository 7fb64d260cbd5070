import type { Knex } from 'knex';
import { auditRow, type AuditEntry } from '@shared/audit.ts';
import type { PluginManifest } from '@shared/plugins/package/index.ts';

export interface PluginRow {
  id: string;
  name: string;
  version: string;
  publisher: string;
  description: string;
  manifest: PluginManifest;
  /** A package's entry module; null for a remote MCP server. */
  source: string | null;
  signature_level: 'signed' | 'unsigned' | 'untrusted' | 'remote';
  /** `remote`: an MCP server an operator registered by URL, whose tools run there. */
  kind: 'package' | 'remote';
  remote_url: string | null;
  /** Sealed (shared/plugins/remote/sealedHeaders.ts); never read into lists, never presented. */
  remote_headers: string | null;
  key_id: string | null;
  permissions: string[];
  granted_permissions: string[];
  enabled: boolean;
  is_default: boolean;
  installed_by: string | null;
  installed_at: Date;
  updated_at: Date;
}

export interface InvocationRow {
  id: string;
  plugin_id: string;
  tool: string;
  user_id: string | null;
  conversation_id: string | null;
  started_at: Date;
  duration_ms: number;
  outcome: string;
  error_message: string | null;
  cold_start: boolean;
}

/** The columns every list reads: everything but the entry module's source. */
const LISTED: string[] = [
  'id',
  'name',
  'version',
  'publisher',
  'description',
  'manifest',
  'kind',
  'remote_url',
  'signature_level',
  'key_id',
  'permissions',
  'granted_permissions',
  'enabled',
  'is_default',
  'installed_by',
  'installed_at',
  'updated_at',
];

export type ListedPluginRow = Omit<PluginRow, 'source' | 'remote_headers'>;

/** The plugin without its entry module's source (which can be megabytes): what every check needs. */
export function findListedPlugin(db: Knex, id: string): Promise<ListedPluginRow | undefined> {
  return db('plugins').select(LISTED).where({ id }).first() as Promise<ListedPluginRow | undefined>;
}

/** The entry module's source of the plugin as installed at `updatedAt`; undefined when it was installed again since. */
export async function findPluginSource(db: Knex, id: string, updatedAt: Date): Promise<string | undefined> {
  // updated_at holds microseconds, a Date milliseconds (rounded or cut): equal within a millisecond.
  const row = (await db('plugins')
    .select('source')
    .where({ id })
    .whereRaw('abs(extract(epoch from updated_at) * 1000 - ?) < 1', [updatedAt.getTime()])
    .first()) as { source: string | null } | undefined;
  return row?.source ?? undefined;
}

/** The remote MCP server registered at this URL, if any. */
export function findRemotePluginByUrl(db: Knex, url: string): Promise<ListedPluginRow | undefined> {
  return db('plugins').select(LISTED).where({ kind: 'remote', remote_url: url }).first() as Promise<ListedPluginRow | undefined>;
}

/** Whether a plugin (of either kind) holds this id. */
export async function isPluginIdTaken(db: Knex, id: string): Promise<boolean> {
  return (await db('plugins').where({ id }).first('id')) !== undefined;
}

/** A remote plugin's URL and sealed headers, read only to call it. */
export function findRemoteEndpoint(db: Knex, id: string): Promise<{ remote_url: string; remote_headers: string | null } | undefined> {
  return db('plugins').select('remote_url', 'remote_headers').where({ id, kind: 'remote' }).first() as Promise<
    { remote_url: string; remote_headers: string | null } | undefined
  >;
}

export function findPlugin(db: Knex, id: string, options: { forUpdate?: boolean } = {}): Promise<PluginRow | undefined> {
  const query = db<PluginRow>('plugins').where({ id }).first();
  if (options.forUpdate) query.forUpdate();
  return query;
}

export function listAllPlugins(db: Knex): Promise<ListedPluginRow[]> {
  return db('plugins').select(LISTED).orderBy('id') as Promise<ListedPluginRow[]>;
}

/** Enabled plugins in the deployment's default set (personal conversations, no conversation). */
export function listDefaultPlugins(db: Knex): Promise<ListedPluginRow[]> {
  return db('plugins').select(LISTED).where({ enabled: true, is_default: true }).orderBy('id') as Promise<ListedPluginRow[]>;
}

/** Enabled plugins a workspace turned on. */
export function listWorkspacePlugins(db: Knex, workspaceId: string): Promise<ListedPluginRow[]> {
  return db<PluginRow>('plugins')
    .select(LISTED.map((column) => `plugins.${column}`))
    .join('workspace_plugins', 'workspace_plugins.plugin_id', 'plugins.id')
    .where({ 'workspace_plugins.workspace_id': workspaceId, 'workspace_plugins.enabled': true, 'plugins.enabled': true })
    .orderBy('plugins.id');
}

/** Every installed plugin with whether this workspace turned it on. */
export function listPluginsForWorkspace(db: Knex, workspaceId: string): Promise<Array<ListedPluginRow & { workspace_enabled: boolean }>> {
  return db<PluginRow>('plugins')
    .select([...LISTED.map((column) => `plugins.${column}`), db.raw('coalesce(workspace_plugins.enabled, false) as workspace_enabled')])
    .leftJoin('workspace_plugins', function joinWorkspace() {
      this.on('workspace_plugins.plugin_id', 'plugins.id').andOn('workspace_plugins.workspace_id', db.raw('?', [workspaceId]));
    })
    .orderBy('plugins.id');
}

export async function isPluginEnabled(db: Knex, id: string): Promise<boolean> {
  const row: { enabled: boolean } | undefined = await db('plugins').where({ id }).first('enabled');
  return row?.enabled === true;
}

export async function isEnabledInWorkspace(db: Knex, workspaceId: string, pluginId: string): Promise<boolean> {
  const row: unknown = await db('workspace_plugins')
    .where({ workspace_id: workspaceId, plugin_id: pluginId, enabled: true })
    .first('plugin_id');
  return row !== undefined;
}

/** A new row; a package's unless it says otherwise. */
type NewPluginRow = Omit<PluginRow, 'installed_at' | 'updated_at' | 'kind' | 'remote_url' | 'remote_headers'> &
  Partial<Pick<PluginRow, 'kind' | 'remote_url' | 'remote_headers'>>;

export async function insertPlugin(db: Knex, row: NewPluginRow): Promise<PluginRow> {
  const [inserted] = await db<PluginRow>('plugins')
    .insert({ ...row, manifest: JSON.stringify(row.manifest), ...jsonLists(row) } as never)
    .returning('*');
  return inserted!;
}

export async function updatePluginRow(db: Knex, id: string, changes: Partial<Omit<PluginRow, 'id' | 'installed_at'>>): Promise<PluginRow> {
  const encoded: Record<string, unknown> = { ...changes, updated_at: db.fn.now() };
  if (changes.manifest) encoded.manifest = JSON.stringify(changes.manifest);
  Object.assign(encoded, jsonLists(changes));
  const [updated] = await db<PluginRow>('plugins')
    .where({ id })
    .update(encoded as never)
    .returning('*');
  return updated!;
}

export async function deletePluginRow(db: Knex, id: string): Promise<void> {
  await db('plugins').where({ id }).delete();
}

export async function setWorkspacePluginRow(db: Knex, workspaceId: string, pluginId: string, enabled: boolean): Promise<void> {
  await db('workspace_plugins')
    .insert({ workspace_id: workspaceId, plugin_id: pluginId, enabled })
    .onConflict(['workspace_id', 'plugin_id'])
    .merge(['enabled']);
}

/**
 * Records a tool call and its audit row in ONE statement (a data-modifying CTE: both or neither, one
 * round trip instead of a transaction's four). The call's row is skipped when the plugin is gone by
 * now (uninstalled while it ran); its user or conversation deleted meanwhile are recorded as null. The
 * audit row is written either way: the trail outlives what it describes.
 */
export async function insertInvocationWithAudit(
  db: Knex,
  row: Omit<InvocationRow, 'started_at'> & { started_at: Date },
  audit: AuditEntry,
): Promise<void> {
  const entry = auditRow(audit);
  await db.raw(
    `with recorded as (
       insert into plugin_invocations
         (id, plugin_id, tool, user_id, conversation_id, started_at, duration_ms, outcome, error_message, cold_start)
       select ?, plugins.id, ?, (select id from users where id = ?), (select id from conversations where id = ?), ?, ?, ?, ?, ?
       from plugins where plugins.id = ?
     )
     insert into audit_log (actor_id, actor_type, action, subject_type, subject_id, ip, data) values (?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.tool,
      row.user_id,
      row.conversation_id,
      row.started_at,
      row.duration_ms,
      row.outcome,
      row.error_message,
      row.cold_start,
      row.plugin_id,
      entry.actor_id,
      entry.actor_type,
      entry.action,
      entry.subject_type,
      entry.subject_id,
      entry.ip,
      entry.data,
    ],
  );
}

export function listInvocations(db: Knex, pluginId: string, limit: number): Promise<InvocationRow[]> {
  return db<InvocationRow>('plugin_invocations').where({ plugin_id: pluginId }).orderBy('started_at', 'desc').limit(limit);
}

/** jsonb columns that hold arrays must be written as JSON text: pg would send a JS array as a Postgres array. */
function jsonLists(row: Partial<Pick<PluginRow, 'permissions' | 'granted_permissions'>>): Record<string, string> {
  const lists: Record<string, string> = {};
  if (row.permissions) lists.permissions = JSON.stringify(row.permissions);
  if (row.granted_permissions) lists.granted_permissions = JSON.stringify(row.granted_permissions);
  return lists;
}

/** Enabled plugins someone may use somewhere: the default set, and the sets of the workspaces they belong to. */
export function listPluginsUsableBy(db: Knex, userId: string): Promise<ListedPluginRow[]> {
  const inTheirWorkspaces = db('workspace_plugins')
    .select('workspace_plugins.plugin_id')
    .join('workspace_members', 'workspace_members.workspace_id', 'workspace_plugins.workspace_id')
    .where({ 'workspace_members.user_id': userId, 'workspace_plugins.enabled': true });
  return db('plugins')
    .select(LISTED)
    .where({ enabled: true })
    .andWhere((usable) => {
      void usable.where({ is_default: true }).orWhereIn('id', inTheirWorkspaces);
    })
    .orderBy('id') as Promise<ListedPluginRow[]>;
}

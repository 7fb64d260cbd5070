import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Actor } from '@shared/auth.ts';
import { auditActor } from '@shared/audit.ts';
import { AppError, ConflictError, NotFoundError, UnavailableError } from '@shared/errors.ts';
import { consumeOrThrow } from '@shared/rateLimit.ts';
import type { Services } from '@shared/services.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { checkToolInput } from './checkToolInput.ts';
import { createPluginHostCalls } from './pluginHostCalls.ts';
import type { PluginInvocationResult, PluginRuntimePort } from './pluginRuntimePort.ts';
import { LoadingCache } from '@shared/loadingCache.ts';
import {
  findListedPlugin,
  findPlugin,
  findPluginSource,
  insertInvocationWithAudit,
  isEnabledInWorkspace,
  type ListedPluginRow,
} from './plugins.repo.ts';
import type { RemotePluginCalls } from './RemotePluginCalls.ts';
import { runtimeError, type InvocationErrorCode } from './runtimeErrors.ts';

/** How a call ended, the runtime failing included. */
type InvocationResult =
  | Extract<PluginInvocationResult, { ok: true }>
  | { ok: false; error: { code: InvocationErrorCode; message: string }; durationMs: number; coldStart: boolean };

interface Deps {
  services: Pick<Services, 'db' | 'bus' | 'config' | 'sandbox' | 'log'>;
  runtime?: PluginRuntimePort;
  /** Where remote MCP servers' tools are called. */
  remote?: RemotePluginCalls;
  /** Calls per plugin and user. */
  limiter: RateLimiterAbstract;
}

interface Props {
  actor: Actor;
  pluginId: string;
  tool: string;
  input: Record<string, unknown>;
  /** The conversation the tool acts in; the caller must be able to read it. */
  conversationId?: string;
  /** The caller confirmed a destructive tool. */
  confirm?: boolean;
  ip?: string;
}

/** How many of the error message's characters are kept in the invocation record. */
const ERROR_MESSAGE_MAX = 1_000;

/**
 * Runs one plugin tool for a person. Refused before anything runs: a plugin not installed (404), not
 * enabled (409 `plugin_disabled`), or not in the set of the conversation's workspace, or the default set
 * for personal conversations (403 `plugin_not_enabled`); a conversation the caller cannot read (404);
 * input that fails the tool's inputSchema (400); a destructive tool without `confirm` (409
 * `confirmation_required`); past the per-plugin, per-user rate limit (429). Whatever the runtime
 * answers is recorded in plugin_invocations and the audit log together. A package's tool runs in the
 * runtime's isolates; a remote MCP server's is called there (`tools/call`), with the same checks and records.
 */
export async function invokePluginTool(deps: Deps, props: Props): Promise<{ output: unknown; durationMs: number; invocationId: string }> {
  const { db } = deps.services;
  const { plugin, permissions } = await findUsablePlugin(db, props);
  const tool = plugin.manifest.tools.find((candidate) => candidate.name === props.tool);
  if (!tool) throw new AppError(404, 'tool_not_found', `The plugin has no tool ${props.tool}`);
  // A remote server keeps its version when its tools change: its schemas are cached per registration.
  const schemaVersion = plugin.kind === 'remote' ? `${plugin.version}@${new Date(plugin.updated_at).getTime()}` : plugin.version;
  checkToolInput(plugin.id, schemaVersion, tool, props.input);
  if (tool.annotations?.destructiveHint && props.confirm !== true) {
    throw new ConflictError(
      `${tool.name} changes or deletes data; resend with confirm: true once the person agreed`,
      'confirmation_required',
    );
  }
  await consumeOrThrow(deps.limiter, `${plugin.id}:${props.actor.id}`);
  const startedAt = new Date();
  const result =
    plugin.kind === 'remote' ? await callRemote(deps, plugin, tool.name, props) : await runPackage(deps, plugin, permissions, props);
  const invocationId = await recordInvocation(db, props, plugin, startedAt, result);
  if (!result.ok) throw runtimeError(result.error, invocationId);
  return { output: result.output, durationMs: Math.round(result.durationMs), invocationId };
}

/** A remote MCP server's tool: called there, with its registered headers, under the same limits. */
async function callRemote(deps: Deps, plugin: ListedPluginRow, tool: string, props: Props): Promise<InvocationResult> {
  if (!deps.remote) throw new UnavailableError('plugins_unavailable', 'Remote plugins cannot be called on this deployment', 30);
  return deps.remote.invoke(plugin, tool, props.input);
}

/** A package's tool: run by the runtime in an isolate. */
async function runPackage(deps: Deps, plugin: ListedPluginRow, permissions: string[], props: Props): Promise<InvocationResult> {
  if (!deps.runtime) throw new UnavailableError('plugins_unavailable', 'Plugins cannot run on this deployment yet', 30);
  const { db, config } = deps.services;
  const startedAt = Date.now();
  const tool = props.tool;
  const invocation = {
    plugin: { id: plugin.id, version: plugin.version, source: await sourceOf(db, plugin), permissions },
    tool,
    input: props.input,
    conversationId: props.conversationId ?? null,
    host: createPluginHostCalls({
      services: deps.services,
      actor: props.actor,
      plugin: { id: plugin.id, permissions },
      conversationId: props.conversationId,
    }),
    limits: { timeoutMs: config.PLUGIN_TIMEOUT_MS, memoryMiB: config.PLUGIN_MEMORY_MIB, outputBytes: config.PLUGIN_OUTPUT_BYTES },
  };
  // A runtime that fails rather than answering is still a call that ran: it is recorded like the others.
  return deps.runtime.invoke(invocation).catch((error: unknown) => {
    deps.services.log.error({ err: error, pluginId: plugin.id, tool }, 'plugin runtime failed');
    const failure = { code: 'runtime_error' as const, message: 'The plugin runtime failed' };
    return { ok: false as const, error: failure, durationMs: Date.now() - startedAt, coldStart: false };
  });
}

/** The plugin, if this caller may use it here, with the permissions it holds (asked for and granted). */
async function findUsablePlugin(db: Knex, props: Props): Promise<{ plugin: ListedPluginRow; permissions: string[] }> {
  const plugin = await findListedPlugin(db, props.pluginId);
  if (!plugin) throw new NotFoundError('Plugin not found');
  const conversation = props.conversationId ? await findConversationForActor(db, props.actor, props.conversationId, 'read') : undefined;
  if (!plugin.enabled) throw new ConflictError('The plugin is disabled', 'plugin_disabled');
  const isUsable = conversation?.workspace_id ? await isEnabledInWorkspace(db, conversation.workspace_id, plugin.id) : plugin.is_default;
  if (!isUsable) {
    const where = conversation?.workspace_id ? "this conversation's workspace" : 'personal conversations';
    throw new AppError(403, 'plugin_not_enabled', `The plugin is not enabled for ${where}`);
  }
  return { plugin, permissions: plugin.permissions.filter((permission) => plugin.granted_permissions.includes(permission)) };
}

async function recordInvocation(
  db: Knex,
  props: Props,
  plugin: ListedPluginRow,
  startedAt: Date,
  result: InvocationResult,
): Promise<string> {
  const outcome = result.ok ? 'ok' : result.error.code;
  const invocationId = crypto.randomUUID();
  await insertInvocationWithAudit(
    db,
    {
      id: invocationId,
      plugin_id: plugin.id,
      tool: props.tool,
      user_id: props.actor.id,
      conversation_id: props.conversationId ?? null,
      started_at: startedAt,
      duration_ms: Math.round(result.durationMs),
      outcome,
      error_message: result.ok ? null : result.error.message.slice(0, ERROR_MESSAGE_MAX),
      cold_start: result.coldStart,
    },
    {
      ...auditActor(props.actor),
      action: 'plugin.invoked',
      subjectType: 'plugin',
      subjectId: plugin.id,
      ip: props.ip,
      data: { invocationId, tool: props.tool, version: plugin.version, outcome, conversationId: props.conversationId ?? null },
    },
  );
  return invocationId;
}

/**
 * Entry modules by plugin and install time: an installed version's source never changes (installing again
 * changes `updated_at`, hence the key), so each API process reads it once rather than on every call —
 * the formatter's is over a megabyte.
 */
const sources = new LoadingCache<string, { source: string }>({
  max: 200,
  ttlMs: 60 * 60_000,
  sizeOf: (entry) => entry.source.length,
  maxBytes: 64 * 1024 * 1024,
});

async function sourceOf(db: Knex, plugin: ListedPluginRow): Promise<string> {
  const installedAt = new Date(plugin.updated_at);
  const cached = await sources.get(`${plugin.id}@${installedAt.getTime()}`, async () => {
    const source = await findPluginSource(db, plugin.id, installedAt);
    return source === undefined ? undefined : { source };
  });
  // Installed again between the checks and now: the new version's source, read whole.
  if (cached) return cached.source;
  const current = await findPlugin(db, plugin.id);
  if (current?.source == null) throw new NotFoundError('Plugin not found');
  return current.source;
}

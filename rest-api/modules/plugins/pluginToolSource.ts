import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { NotFoundError } from '@shared/errors.ts';
import type { PluginManifest } from '@shared/plugins/package/index.ts';
import { jsonResult, type McpToolDescriptor, type McpToolSource } from '../mcp/McpToolSource.ts';
import { invokePluginTool } from './invokePluginTool.ts';
import { listPluginsUsableBy, type ListedPluginRow } from './plugins.repo.ts';
import type { RemoteToolOutput } from './RemotePluginCalls.ts';

type Deps = Parameters<typeof invokePluginTool>[0];
type PluginTool = PluginManifest['tools'][number];

/** MCP clients show tool names to people and models; 64 characters is what most accept. */
const MAX_TOOL_NAME = 64;

/**
 * A plugin tool's MCP name: the plugin id with its dots as underscores, two underscores, the tool
 * (`com_twinmcp_wordcount__count_words`), cut with a short hash when longer than 64 characters.
 */
export function mcpToolName(pluginId: string, tool: string): string {
  const name = `${pluginId.replace(/[^a-zA-Z0-9_-]/g, '_')}__${tool}`;
  if (name.length <= MAX_TOOL_NAME) return name;
  const hash = crypto.createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_TOOL_NAME - 9)}_${hash}`;
}

/**
 * Converted schemas by plugin, version, install time and tool: the MCP endpoint is stateless, so every
 * request lists the tools again, and a plugin's schemas only change when it is installed again.
 */
const converted = new LRUCache<string, Record<string, z.ZodType>>({ max: 1_000 });

/** The tool's arguments as the MCP SDK takes them: its input schema's properties, plus where it runs. */
function argumentsOf(plugin: ListedPluginRow, tool: PluginTool): Record<string, z.ZodType> {
  const key = `${plugin.id}@${plugin.version}@${new Date(plugin.updated_at).getTime()}/${tool.name}`;
  let shape = converted.get(key);
  if (!shape) converted.set(key, (shape = convert(tool)));
  return shape;
}

function convert(tool: PluginTool): Record<string, z.ZodType> {
  const schema = z.fromJSONSchema(tool.inputSchema);
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  return {
    ...shape,
    conversationId: z
      .string()
      .optional()
      .describe('The conversation to run the tool in (it reads or writes only that one); leave out for none'),
  };
}

function describe(plugin: ListedPluginRow, tool: PluginTool): McpToolDescriptor {
  const { readOnlyHint, destructiveHint, idempotentHint, openWorldHint } = tool.annotations ?? {};
  return {
    name: mcpToolName(plugin.id, tool.name),
    title: `${plugin.name}: ${tool.annotations?.title ?? tool.name}`,
    description: `${tool.description} (plugin ${plugin.id} ${plugin.version})`,
    inputSchema: argumentsOf(plugin, tool),
    annotations: { readOnlyHint, destructiveHint, idempotentHint, openWorldHint },
  };
}

/**
 * Plugin tools over MCP, for people: those of the plugins they may use somewhere (the default set and
 * their workspaces' sets). A call runs exactly as REST's invoke does — the same checks for the plugin,
 * the conversation and the input, the same limits, records and audit — with `conversationId` taken
 * from the arguments. Destructive tools carry `destructiveHint`, which MCP clients confirm with the
 * person before calling; the call counts as confirmed.
 */
export function createPluginToolSource(deps: Deps): McpToolSource {
  const { db } = deps.services;
  const toolsOf = async (userId: string) =>
    (await listPluginsUsableBy(db, userId)).flatMap((plugin) => plugin.manifest.tools.map((tool) => ({ plugin, tool })));
  return {
    async list(principal) {
      if (principal.type !== 'user') return [];
      return (await toolsOf(principal.id)).map(({ plugin, tool }) => describe(plugin, tool));
    },
    async call(principal, name, args) {
      const found =
        principal.type === 'user'
          ? (await toolsOf(principal.id)).find(({ plugin, tool }) => mcpToolName(plugin.id, tool.name) === name)
          : undefined;
      if (!found || principal.type !== 'user') throw new NotFoundError(`Tool ${name} not found`);
      const { conversationId, ...input } = args;
      const result = await invokePluginTool(deps, {
        actor: principal,
        pluginId: found.plugin.id,
        tool: found.tool.name,
        input,
        ...(typeof conversationId === 'string' ? { conversationId } : {}),
        confirm: true,
      });
      // A remote server's answer is already MCP content (text, images...): passed on as the server gave it.
      return found.plugin.kind === 'remote' ? (result.output as RemoteToolOutput) : jsonResult(result.output);
    },
  };
}

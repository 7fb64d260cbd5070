import crypto from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { inputSchemaProblem } from '@shared/plugins/package/compileInputSchema.ts';
import type { PluginManifest } from '@shared/plugins/package/index.ts';

type PluginTool = PluginManifest['tools'][number];

/** MCP's own rule for tool names; the invoke route's path takes the same characters. */
const REMOTE_TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_ID = 128;

/** A remote server's address as people see it: scheme, host and path; never a query (it may carry a key). */
export function displayedRemoteUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * The plugin id of the server at `url`: `remote.` and its host in reverse-DNS order, then its port
 * (`https://mcp.example.com:8443/mcp` → `remote.com.example.mcp.p8443`). A second server on the same
 * host and port gets a hash of its URL added (`isTaken` says the plain id is someone else's).
 */
export function remotePluginId(url: URL, isTaken: boolean): string {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$/.test(hostname) || hostname.includes(':');
  const labels = isIp ? [hostname.replace(/[:.]+/g, '-')] : hostname.split('.').reverse();
  const cleaned = labels.map((label) => label.replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'x');
  const base = ['remote', ...cleaned, ...(url.port ? [`p${url.port}`] : [])].join('.');
  const hash = crypto.createHash('sha256').update(url.href).digest('hex').slice(0, 8);
  if (!isTaken && base.length <= MAX_ID) return base;
  return `${base.slice(0, MAX_ID - 9)}.${hash}`;
}

/**
 * A remote tool as a plugin tool, or undefined when the API could not offer it: a name outside MCP's
 * rule, or an input schema that ajv (input checks) or zod (the /mcp listing) cannot take.
 */
export function pluginToolOf(tool: Tool): PluginTool | undefined {
  if (!REMOTE_TOOL_NAME.test(tool.name)) return undefined;
  const inputSchema = tool.inputSchema as PluginTool['inputSchema'];
  if (inputSchemaProblem(inputSchema)) return undefined;
  try {
    z.fromJSONSchema(inputSchema);
  } catch {
    return undefined;
  }
  const { title, readOnlyHint, destructiveHint, idempotentHint, openWorldHint } = tool.annotations ?? {};
  const annotations = Object.fromEntries(
    Object.entries({ title, readOnlyHint, destructiveHint, idempotentHint, openWorldHint }).filter(([, value]) => value !== undefined),
  ) as PluginTool['annotations'];
  return {
    name: tool.name,
    description: (tool.description ?? tool.title ?? tool.name).slice(0, 4_096),
    inputSchema,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** The manifest stored for a remote server: who it is and its tools. It has no entry module and uses no host API. */
export function remoteManifest(fields: {
  id: string;
  name: string;
  version: string;
  publisher: string;
  description: string;
  tools: PluginTool[];
}): PluginManifest {
  return { ...fields, entry: '', hostApi: '*', permissions: [] };
}

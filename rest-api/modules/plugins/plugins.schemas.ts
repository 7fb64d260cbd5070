import { z } from 'zod';
import { IdParam } from '../../http/schemas.ts';

/** A plugin id in a path: lowercase reverse-DNS (anything else names no plugin: 404). */
const PluginIdParam = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,127}$/);
/** A package's tool names are a-z, 0-9, _ and -; a remote MCP server's may use MCP's wider set. */
const ToolNameParam = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);

export const ListPluginsSchema = z.object({
  query: z.object({
    workspaceId: IdParam.optional().describe("The workspace's enabled set instead of the default set (members only)"),
  }),
});

export const InstallPluginSchema = z.object({
  query: z.object({
    force: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => value === 'true')
      .describe('Install a version lower than or equal to the installed one (a downgrade or a reinstall); 409 otherwise'),
  }),
});

export const PluginIdSchema = z.object({ params: z.object({ id: PluginIdParam }) });

export const UpdatePluginSchema = z.object({
  params: z.object({ id: PluginIdParam }),
  body: z
    .strictObject({
      enabled: z.boolean().optional().describe('false is the kill switch: running calls stop, new ones are refused everywhere'),
      isDefault: z.boolean().optional().describe('In the default set offered in personal conversations'),
    })
    .refine((body) => body.enabled !== undefined || body.isDefault !== undefined, 'give enabled or isDefault'),
});

export const ListInvocationsSchema = z.object({
  params: z.object({ id: PluginIdParam }),
  query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
});

export const WorkspacePluginsSchema = z.object({ params: z.object({ id: IdParam }) });

export const SetWorkspacePluginSchema = z.object({
  params: z.object({ id: IdParam, pluginId: PluginIdParam }),
  body: z.strictObject({ enabled: z.boolean() }),
});

export const InvokeToolSchema = z.object({
  params: z.object({ id: PluginIdParam, tool: ToolNameParam }),
  body: z.strictObject({
    input: z.record(z.string(), z.unknown()).default({}).describe("The tool's arguments, checked against its inputSchema"),
    conversationId: IdParam.optional().describe('The conversation the tool acts in (read access needed)'),
    confirm: z.boolean().optional().describe('Required (true) for a tool marked destructiveHint; 409 `confirmation_required` otherwise'),
    post: z.boolean().optional().describe('Post the result in `conversationId` as a `tool` message (write access needed); off by default'),
  }),
});
export type InvokeToolBody = z.infer<typeof InvokeToolSchema>['body'];

const Annotations = z.object({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

export const PluginToolSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the arguments'),
    annotations: Annotations.describe('MCP hints for clients; destructiveHint makes the API ask for `confirm`'),
  })
  .meta({ id: 'PluginTool' });

export const PluginSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    publisher: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    isDefault: z.boolean(),
    kind: z.enum(['package', 'remote']).describe('`remote`: an MCP server an operator registered by URL; its tools run there'),
    url: z.string().optional().describe('Operators only, remote plugins: the server address, without its query (headers are never shown)'),
    signatureLevel: z.enum(['signed', 'unsigned', 'untrusted', 'remote']),
    keyId: z.string().nullable(),
    permissions: z.array(z.string()).describe('What the installed version asks for'),
    tools: z.array(PluginToolSchema),
    installedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    grantedPermissions: z.array(z.string()).optional().describe('Operators only: what an operator consented to'),
    pendingPermissions: z
      .array(z.string())
      .optional()
      .describe('Operators only: asked for but not granted; the plugin stays disabled until POST /api/plugins/{id}/consent'),
    workspaceEnabled: z.boolean().optional().describe('On workspace lists: whether the workspace turned it on'),
  })
  .meta({ id: 'Plugin' });

export const InvocationSchema = z
  .object({
    id: z.uuid(),
    pluginId: z.string(),
    tool: z.string(),
    userId: z.uuid().nullable(),
    conversationId: z.uuid().nullable(),
    startedAt: z.iso.datetime(),
    durationMs: z.number().int(),
    outcome: z.string().describe('`ok`, or the error code the call ended with'),
    errorMessage: z.string().nullable(),
    coldStart: z.boolean(),
  })
  .meta({ id: 'PluginInvocation' });

export const InvokeResultSchema = z.object({
  output: z.unknown().describe('What the tool returned (JSON); at most PLUGIN_OUTPUT_BYTES'),
  durationMs: z.number().int(),
  invocationId: z.uuid(),
  messageId: z.uuid().optional().describe('With `post: true`: the `tool` message the result was posted as'),
});

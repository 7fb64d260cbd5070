import semver from 'semver';
import { z } from 'zod';
import { inputSchemaProblem } from './compileInputSchema.ts';
import { normalizePackagePath } from './packagePath.ts';
import { isPluginPermission } from './pluginPermission.ts';

const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((value) => !value.includes('\0'), 'must not contain NUL characters');

const unique = (values: readonly string[]) => new Set(values).size === values.length;

/** Reverse-DNS, lowercase, two labels or more: `com.twinmcp.wordcount`. */
const PluginId = z
  .string()
  .max(128)
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/,
    'must be lowercase reverse-DNS such as com.example.tool',
  );

const Version = z.string().refine((value) => semver.valid(value) === value, 'must be a semver version such as 1.2.0');

const HostApiRange = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => semver.validRange(value) !== null, 'must be a semver range such as ^1.0.0');

/** A path inside the package to one bundled ES module, kept in its canonical form (`./dist/a.js` → `dist/a.js`). */
const EntryPath = z
  .string()
  .transform((raw, ctx) => {
    try {
      return normalizePackagePath(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a relative path inside the package, without ..' });
      return z.NEVER;
    }
  })
  .refine((path) => /\.m?js$/.test(path), 'must name a .js or .mjs module');

const Permission = z.string().refine(isPluginPermission, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a permission: use conversations:read, conversations:write, storage, llm, ` +
    'code:execute or http:<host>[:port] (a lowercase host name or IP literal; no scheme, path or wildcard)',
});

/** A JSON Schema for the tool's arguments: an object schema that ajv compiles. */
const InputSchema = z.looseObject({ type: z.literal('object', 'must be "object"') }).superRefine((schema, ctx) => {
  const problem = inputSchemaProblem(schema);
  if (problem) ctx.addIssue({ code: 'custom', message: `does not compile: ${problem}` });
});

/** MCP tool annotations: hints for clients, never relied on for security. */
const ToolAnnotations = z.strictObject({
  title: Text(200).optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

const Tool = z.strictObject({
  name: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'must be 1-64 characters of a-z, 0-9, _ and -'),
  description: Text(4096),
  inputSchema: InputSchema,
  annotations: ToolAnnotations.optional(),
});

/** plugin.json: who the plugin is, what it may do and which tools it offers. */
export const PluginManifestSchema = z.strictObject({
  id: PluginId,
  name: Text(100),
  version: Version,
  publisher: Text(100),
  description: Text(2000),
  entry: EntryPath,
  hostApi: HostApiRange,
  permissions: z.array(Permission).max(64).refine(unique, 'must not name a permission twice'),
  tools: z
    .array(Tool)
    .min(1, 'must offer at least one tool')
    .max(128)
    .refine((tools) => unique(tools.map((tool) => tool.name)), 'must not name a tool twice'),
});

/** A parsed, valid plugin.json. */
export type PluginManifest = z.infer<typeof PluginManifestSchema>;

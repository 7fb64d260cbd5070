import { type z } from 'zod';
import { pluginInvalid } from './pluginErrors.ts';
import { PluginManifestSchema, type PluginManifest } from './PluginManifestSchema.ts';

/** The file every package holds at its root. */
export const MANIFEST_FILE = 'plugin.json';

/** `tools[1].inputSchema`, the way an author finds the field in plugin.json. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys] : issue.path;
  const step = (field: string, key: PropertyKey) =>
    typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key);
  return path.reduce<string>(step, '');
}

/**
 * Reads and validates the package's plugin.json, or throws `plugin_invalid` naming the first failing field
 * (all of them are in `details.fields`). The entry module must be one of the package's files.
 */
export function parsePluginManifest(files: ReadonlyMap<string, Buffer>): PluginManifest {
  const raw = files.get(MANIFEST_FILE);
  if (!raw) throw pluginInvalid(`The package has no ${MANIFEST_FILE} at its root`);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw pluginInvalid(`${MANIFEST_FILE} is not valid JSON: ${(error as Error).message}`);
  }
  const result = PluginManifestSchema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => ({ field: fieldOf(issue) || '(root)', message: issue.message }));
    const first = fields[0]!;
    throw pluginInvalid(`${MANIFEST_FILE}: ${first.field}: ${first.message}`, { fields });
  }
  const manifest = result.data;
  if (!files.has(manifest.entry)) {
    const message = `${manifest.entry} is not in the package`;
    throw pluginInvalid(`${MANIFEST_FILE}: entry: ${message}`, { fields: [{ field: 'entry', message }] });
  }
  return manifest;
}

import { Ajv, type ValidateFunction } from 'ajv';
import { ValidationError } from '@shared/errors.ts';
import type { PluginManifest } from '@shared/plugins/package/index.ts';

type Tool = PluginManifest['tools'][number];

/** Compiled input schemas by plugin, version and tool: a version's schemas never change. */
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 1_000;

function validatorFor(pluginId: string, version: string, tool: Tool): ValidateFunction {
  const key = `${pluginId}@${version}#${tool.name}`;
  let validate = compiled.get(key);
  if (!validate) {
    // The options the package module checked the schema with (the MCP SDK's); a fresh Ajv per schema,
    // so one plugin's `$id` never clashes with another's.
    validate = new Ajv({ strict: false, validateFormats: false, logger: false, allErrors: true }).compile(tool.inputSchema);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, validate);
  }
  return validate;
}

/** The field an ajv error is about, as a client reads it: `input.city`, `input.items.0.name`. */
function fieldOf(error: NonNullable<ValidateFunction['errors']>[number]): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const missing = error.keyword === 'required' ? [String((error.params as { missingProperty: string }).missingProperty)] : [];
  const extra =
    error.keyword === 'additionalProperties' ? [String((error.params as { additionalProperty: string }).additionalProperty)] : [];
  return ['input', ...path, ...missing, ...extra].join('.');
}

/** Throws 400 `validation_failed` listing every failing field when `input` does not match the tool's inputSchema. */
export function checkToolInput(pluginId: string, version: string, tool: Tool, input: unknown): void {
  const validate = validatorFor(pluginId, version, tool);
  if (validate(input)) return;
  const fields = (validate.errors ?? []).map((error) => ({ field: fieldOf(error), message: error.message ?? 'is invalid' }));
  const first = fields[0] ?? { field: 'input', message: 'is invalid' };
  throw new ValidationError(`${first.field}: ${first.message}`, { fields });
}

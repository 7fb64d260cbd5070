import { Ajv } from 'ajv';

/**
 * Why ajv cannot compile a tool's input schema, or undefined when it can. The options are those the MCP
 * SDK validates tool input with (draft-07, `strict: false`), so a schema that passes here works at call
 * time. A fresh instance each time: a schema's `$id` would otherwise clash with another plugin's.
 */
export function inputSchemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    new Ajv({ strict: false, validateFormats: false, logger: false }).compile(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Principal } from '@shared/access/index.ts';

/** One tool as a caller sees it in `tools/list`. */
export interface McpToolDescriptor {
  /** Unique across every source; the first source to name a tool keeps it. */
  name: string;
  title?: string;
  description: string;
  /** The arguments, as a zod shape: the SDK validates calls against it and publishes it as JSON Schema. */
  inputSchema: Record<string, z.ZodType>;
  annotations: ToolAnnotations;
}

/**
 * Where the MCP endpoint's tools come from: the product's own (conversationTools.ts) and, later, plugins'.
 * Every source answers for one caller at a time, under that caller's access rules: `list` names only the
 * tools this principal may use at all, and `call` decides again for the resource it names.
 */
export interface McpToolSource {
  /** The tools this principal may use. */
  list(principal: Principal): Promise<McpToolDescriptor[]>;
  /**
   * Runs a tool `list` offered, with arguments already validated against its schema. A refusal or a
   * failure the caller can act on is thrown as an AppError (the endpoint answers it as an `isError`
   * result) or returned as one; `signal` aborts when the client goes away.
   */
  call(principal: Principal, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
}

/** A tool's answer: its value as JSON text, the way MCP clients hand results to a model. */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

/** Annotations of a tool that only reads the product. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** Annotations of a tool that adds to the product and removes nothing. */
export const ADDITIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

import { AppError } from '@shared/errors.ts';
import type { PluginRuntimeErrorCode } from './pluginRuntimePort.ts';

/** How each way a call can end badly answers over HTTP: the status and the API's error code. */
/**
 * The runtime's own codes, `runtime_error` when the runtime itself failed (rejected instead of answering),
 * and `remote_unreachable` when a remote MCP server could not be reached or answered something else than MCP.
 */
export type InvocationErrorCode = PluginRuntimeErrorCode | 'runtime_error' | 'remote_unreachable';

const ANSWERS: Record<InvocationErrorCode, { status: number; code: string }> = {
  timeout: { status: 504, code: 'plugin_timeout' },
  memory: { status: 422, code: 'plugin_memory' },
  output_too_large: { status: 413, code: 'output_too_large' },
  tool_not_found: { status: 404, code: 'tool_not_found' },
  tool_failed: { status: 422, code: 'tool_failed' },
  permission_denied: { status: 403, code: 'permission_denied' },
  invalid_output: { status: 502, code: 'invalid_output' },
  plugin_disabled: { status: 409, code: 'plugin_disabled' },
  plugin_invalid: { status: 502, code: 'plugin_invalid' },
  worker_lost: { status: 503, code: 'plugin_worker_lost' },
  runtime_error: { status: 502, code: 'plugin_runtime_failed' },
  remote_unreachable: { status: 502, code: 'remote_unreachable' },
};

/** The statuses invoke can answer for a runtime error, for its OpenAPI entry. */
export const RUNTIME_ERROR_STATUSES = [...new Set(Object.values(ANSWERS).map((answer) => answer.status))];

/** The runtime's error as the API answers it, naming the recorded invocation. */
export function runtimeError(error: { code: InvocationErrorCode; message: string }, invocationId: string): AppError {
  const answer = ANSWERS[error.code] ?? { status: 502, code: 'tool_failed' };
  return new AppError(answer.status, answer.code, error.message, { invocationId });
}

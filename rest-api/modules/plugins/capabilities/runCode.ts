import type { Config } from '@shared/config.ts';
import type { CodeSandbox } from '@shared/sandbox/CodeSandbox.ts';
import { limitsFromConfig } from '@shared/sandbox/limits.ts';
import { LANGUAGES, type Language } from '@shared/sandbox/types.ts';
import { CapabilityError, objectArgument, stringArgument } from './CapabilityError.ts';

/**
 * `code.execute({ language, code, stdin? })` → the run's stdout, stderr, exit code and the limit that
 * stopped it, in the same sandbox and under the same limits as `POST /api/code/execute`.
 */
export async function runCode(deps: { config: Config; sandbox: CodeSandbox }, args: unknown[]) {
  const request = objectArgument(args, 0, 'request');
  const language = request.language as Language;
  if (!LANGUAGES.includes(language)) throw new CapabilityError('invalid_argument', `language must be one of ${LANGUAGES.join(', ')}`);
  const code = stringArgument(request.code, 'code', deps.config.CODE_EXEC_CODE_BYTES)!;
  const stdin = stringArgument(request.stdin, 'stdin', deps.config.CODE_EXEC_STDIN_BYTES, { optional: true }) ?? '';
  if (Buffer.byteLength(code) > deps.config.CODE_EXEC_CODE_BYTES || Buffer.byteLength(stdin) > deps.config.CODE_EXEC_STDIN_BYTES) {
    throw new CapabilityError('invalid_argument', 'code or stdin is over its size limit');
  }
  const result = await deps.sandbox.run({ language, code, stdin, limits: limitsFromConfig(deps.config) });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, limit: result.limit, durationMs: result.durationMs };
}

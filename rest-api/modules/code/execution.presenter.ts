import type { Config } from '@shared/config.ts';
import type { ExecutionRow } from './code.repo.ts';

/**
 * Whether a run's code and output may still be shown. The sweep (code.repo.ts › purgeExpiredExecutions)
 * clears them on its own schedule; a row it has not reached yet is hidden all the same, so the retention
 * the operator set holds to the request, whatever the sweep's timing.
 */
export function isRetained(row: ExecutionRow, config: Config): boolean {
  return row.purged_at === null && Date.now() - row.created_at.getTime() < config.CODE_EXEC_RETENTION_DAYS * 86_400_000;
}

/** A run as lists show it; `retained` (isRetained) says whether its output may still be shown. */
export function presentExecution(row: ExecutionRow, retained: boolean) {
  return {
    id: row.id,
    language: row.language,
    backend: row.backend,
    stdout: retained ? row.stdout : null,
    stderr: retained ? row.stderr : null,
    exitCode: row.exit_code,
    signal: row.signal,
    durationMs: row.duration_ms,
    limit: row.limit,
    truncated: { stdout: row.truncated_stdout, stderr: row.truncated_stderr },
    codeSha256: row.code_sha256,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    createdAt: row.created_at.toISOString(),
  };
}

export function presentExecutionDetail(row: ExecutionRow, retained: boolean) {
  return { ...presentExecution(row, retained), code: retained ? row.code : null };
}

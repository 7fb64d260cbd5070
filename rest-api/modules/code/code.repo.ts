import type { Knex } from 'knex';
import type { Language, LimitHit } from '@shared/sandbox/types.ts';

export interface ExecutionRow {
  id: string;
  seq: string | number;
  user_id: string;
  conversation_id: string | null;
  message_id: string | null;
  language: Language;
  backend: string;
  code_sha256: string;
  code: string | null;
  stdout: string | null;
  stderr: string | null;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  limit: LimitHit | null;
  truncated_stdout: boolean;
  truncated_stderr: boolean;
  created_at: Date;
  purged_at: Date | null;
}

export type NewExecution = Omit<ExecutionRow, 'id' | 'seq' | 'created_at' | 'message_id'>;

export async function insertExecution(db: Knex, row: NewExecution): Promise<ExecutionRow> {
  const [inserted] = await db<ExecutionRow>('code_executions').insert(row).returning('*');
  return inserted!;
}

export async function setExecutionMessage(db: Knex, id: string, messageId: string): Promise<void> {
  await db('code_executions').where({ id }).update({ message_id: messageId });
}

/** A user's own runs, newest first. */
export function listExecutionsForUser(db: Knex, userId: string, page: { limit: number; after?: string }): Promise<ExecutionRow[]> {
  const query = db<ExecutionRow>('code_executions')
    .where({ user_id: userId })
    .orderBy('seq', 'desc')
    .limit(page.limit + 1);
  if (page.after !== undefined) query.where('seq', '<', page.after);
  return query;
}

/** One run, only if it is the user's: anyone else's is the same miss as none. */
export function findExecutionForUser(db: Knex, userId: string, id: string): Promise<ExecutionRow | undefined> {
  return db<ExecutionRow>('code_executions').where({ id, user_id: userId }).first();
}

/**
 * Clears the code and output of runs older than the retention period; their record (hash, language,
 * duration, exit, limit) stays. Idempotent, so every API process may sweep. Returns how many were cleared.
 */
export async function purgeExpiredExecutions(db: Knex, retentionDays: number): Promise<number> {
  const cutoff = new Date(Date.now() - retentionDays * 24 * 60 * 60 * 1000);
  return db('code_executions')
    .whereNull('purged_at')
    .where('created_at', '<', cutoff)
    .update({ code: null, stdout: null, stderr: null, purged_at: db.fn.now() });
}

import type { Knex } from 'knex';

/** One audit-log row: who did what to which subject. Never put secrets or content in `data`. */
export interface AuditEntry {
  actorId: string | null;
  /** `<resource>.<verb>`, e.g. `conversation.deleted`. */
  action: string;
  subjectType?: string;
  subjectId?: string;
  ip?: string;
  data?: Record<string, unknown>;
}

/** Writes the entry inside the caller's transaction, so the trail and the change commit together. */
export async function writeAudit(db: Knex | Knex.Transaction, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    actor_id: entry.actorId,
    action: entry.action,
    subject_type: entry.subjectType ?? null,
    subject_id: entry.subjectId ?? null,
    ip: entry.ip ?? null,
    data: JSON.stringify(entry.data ?? {}),
  });
}

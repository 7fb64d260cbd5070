import type { Knex } from 'knex';

/** One audit-log row: who did what to which subject. Never put secrets or content in `data`. */
export interface AuditEntry {
  actorId: string | null;
  /** What `actorId` names: a user (the default) or a service account. */
  actorType?: 'user' | 'service_account';
  /** `<resource>.<verb>`, e.g. `conversation.deleted`. */
  action: string;
  subjectType?: string;
  subjectId?: string;
  ip?: string;
  data?: Record<string, unknown>;
}

/** Writes the entry inside the caller's transaction, so the trail and the change commit together. */
export async function writeAudit(db: Knex | Knex.Transaction, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert(auditRow(entry));
}

/** The audit_log row of an entry, for a statement that writes it with something else. */
export function auditRow(entry: AuditEntry) {
  return {
    actor_id: entry.actorId,
    actor_type: entry.actorType ?? 'user',
    action: entry.action,
    subject_type: entry.subjectType ?? null,
    subject_id: entry.subjectId ?? null,
    ip: entry.ip ?? null,
    data: JSON.stringify(entry.data ?? {}),
  };
}

/** `actorId` and `actorType` for whoever acted: a person, or a service account (an API key). */
export function auditActor(actor: { type: 'user' | 'service'; id: string }): Pick<AuditEntry, 'actorId' | 'actorType'> {
  return { actorId: actor.id, actorType: actor.type === 'service' ? 'service_account' : 'user' };
}

import type { Knex } from 'knex';
import type { BackupProgress } from '@shared/backup/index.ts';

export type RestoreTargetKind = 'scratch' | 'in-place';
export type RestoreStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface RestoreRow {
  id: string;
  backup_id: string;
  target: RestoreTargetKind;
  status: RestoreStatus;
  database_name: string | null;
  forced_reason: string | null;
  progress: BackupProgress | null;
  error: { code: string; message: string } | null;
  /** Point-in-time restores: the moment restored to. */
  target_time: Date | null;
  /** Point-in-time restores: the WAL position restored to. */
  target_lsn: string | null;
  /** What the restore found in what it restored (physical restores). */
  result: RestoreResult | null;
  /** After a restore: the backup's media objects that storage does not hold. */
  media: { checked: number; missing: string[] } | null;
  created_by: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** What a physical restore found in the cluster it restored. */
export interface RestoreResult {
  /** The scratch cluster's data directory, stopped: start it with pg_ctl to look inside. Null in place. */
  dataDirectory: string | null;
  backupLabel: string;
  /** Migrations applied in the restored database, and those this release would still apply. */
  migrations: { applied: number; pending: string[] };
  tables: Array<{ name: string; rows: number }>;
  durationMs: number;
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export async function insertRestore(
  db: Knex,
  fields: {
    backupId: string;
    target: RestoreTargetKind;
    databaseName: string | null;
    forcedReason: string | null;
    createdBy: string | null;
    targetTime?: Date | null;
    targetLsn?: string | null;
  },
): Promise<RestoreRow> {
  const [row] = await db<RestoreRow>('restores')
    .insert({
      backup_id: fields.backupId,
      target: fields.target,
      status: 'pending',
      database_name: fields.databaseName,
      forced_reason: fields.forcedReason,
      created_by: fields.createdBy,
      target_time: fields.targetTime ?? null,
      target_lsn: fields.targetLsn ?? null,
    })
    .returning('*');
  return row!;
}

export function findRestore(db: Knex, id: string): Promise<RestoreRow | undefined> {
  return db<RestoreRow>('restores').where({ id }).first();
}

/** Moves a restore on; `progress` and `error` are stored as given. */
export async function updateRestore(
  db: Knex,
  id: string,
  fields: {
    status?: RestoreStatus;
    progress?: BackupProgress;
    error?: { code: string; message: string };
    result?: RestoreResult;
    media?: { checked: number; missing: string[] };
    finished?: boolean;
  },
): Promise<void> {
  await db('restores')
    .where({ id })
    .update({
      ...(fields.status ? { status: fields.status } : {}),
      ...(fields.progress ? { progress: json(fields.progress) } : {}),
      ...(fields.error ? { error: json(fields.error) } : {}),
      ...(fields.result ? { result: json(fields.result) } : {}),
      ...(fields.media ? { media: json(fields.media) } : {}),
      ...(fields.finished ? { finished_at: db.fn.now() } : {}),
    });
}

/** Stores the hash of a confirmation token for an in-place restore of `backupId` by `operatorId`. */
export async function insertConfirmation(
  db: Knex,
  fields: { tokenHash: string; backupId: string; operatorId: string; expiresAt: Date },
): Promise<void> {
  // Expired tokens of anyone go with each new one: the table stays as small as the tokens in flight.
  await db('restore_confirmations').where('expires_at', '<', db.fn.now()).delete();
  await db('restore_confirmations').insert({
    token_hash: fields.tokenHash,
    backup_id: fields.backupId,
    operator_id: fields.operatorId,
    expires_at: fields.expiresAt,
  });
}

/** Spends a confirmation token: true when it was issued for this backup and operator and has not expired. Used once either way. */
export async function spendConfirmation(db: Knex, fields: { tokenHash: string; backupId: string; operatorId: string }): Promise<boolean> {
  const [row] = await db('restore_confirmations')
    .where({ token_hash: fields.tokenHash })
    .delete()
    .returning<Array<{ backup_id: string; operator_id: string; expires_at: Date }>>(['backup_id', 'operator_id', 'expires_at']);
  return Boolean(row && row.backup_id === fields.backupId && row.operator_id === fields.operatorId && row.expires_at > new Date());
}

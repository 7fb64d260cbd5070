import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { AppError } from '@shared/errors.ts';
import { insertRunningBackup, type BackupKind, type BackupRow } from '@shared/backup/backups.repo.ts';
import { backupIoOf, isEmbedded, type DrServices } from './drServices.ts';
import { isRepositoryEncrypted, requirePhysicalStanza } from './physicalBackups.ts';

interface Props {
  /** The operator who asked; null for the schedule and the CLI. */
  actorId: string | null;
  kind: BackupKind;
  /** The operator's IP, for the audit trail. */
  ip?: string;
  /** Runs the insert in the caller's transaction (so the job that makes the backup commits with it). */
  trx?: Knex.Transaction;
}

/** 501 for what is not configured on this deployment yet (physical backups, point-in-time restores). */
export class NotConfiguredError extends AppError {
  constructor(code: string, message: string) {
    super(501, code, message);
  }
}

/**
 * Records a backup as running, before anything is dumped: a second backup of the kind is refused with 409
 * `backup_in_progress` by the database itself, whichever process asks. The caller then runs it (runBackup),
 * in a job or in the CLI's own process.
 */
export async function beginBackup(services: DrServices, props: Props): Promise<BackupRow> {
  const { fields, auditData } = props.kind === 'physical' ? await physicalBackupFields(services) : logicalBackupFields(services);
  const db = props.trx ?? services.db;
  const row = await insertRunningBackup(db, { ...fields, createdBy: props.actorId });
  await writeAudit(db, {
    actorId: props.actorId,
    action: 'backup.started',
    subjectType: 'backup',
    subjectId: row.id,
    ip: props.ip,
    data: { kind: row.kind, ...auditData },
  });
  return row;
}

type BackupFields = Omit<Parameters<typeof insertRunningBackup>[1], 'createdBy'>;

/** A logical backup: a new object in the backup store, a dump (PostgreSQL) or a data directory (PGlite). */
function logicalBackupFields(services: DrServices): { fields: BackupFields; auditData: Record<string, unknown> } {
  const { encryptionKey } = backupIoOf(services);
  const embedded = isEmbedded(services);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const storageKey = `backups/logical/${stamp}-${crypto.randomBytes(4).toString('hex')}.${embedded ? 'tar.zst' : 'dump.zst'}`;
  const fields = {
    kind: 'logical' as const,
    format: embedded ? 'pglite_datadir_tar+zstd' : 'pg_dump_custom+zstd',
    storageKey,
    encrypted: encryptionKey !== undefined,
  };
  return { fields, auditData: { storageKey } };
}

/** A physical backup: 501 unless pgBackRest is configured. Its key names the pgBackRest set once it exists. */
async function physicalBackupFields(services: DrServices): Promise<{ fields: BackupFields; auditData: Record<string, unknown> }> {
  const stanza = requirePhysicalStanza(services.config);
  const fields = {
    kind: 'physical' as const,
    format: 'pgbackrest',
    storageKey: `pgbackrest:${stanza.stanza}`,
    encrypted: await isRepositoryEncrypted(services.config),
  };
  return { fields, auditData: { stanza: stanza.stanza } };
}

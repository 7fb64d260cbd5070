import { z } from 'zod';
import { IdParam, Text } from '../../http/schemas.ts';
import { pageQuery } from '../../http/pagination.ts';

export const StartBackupSchema = z.object({
  body: z.strictObject({
    kind: z
      .enum(['logical', 'physical'])
      .default('logical')
      .describe('`physical` (pgBackRest, point-in-time recovery) answers 501 unless PGBACKREST_STANZA and PGBACKREST_CONFIG are set'),
    type: z
      .enum(['full', 'incr'])
      .optional()
      .describe('Physical only: `full`, or `incr` (changes since the last backup). Default: incr when a full exists'),
  }),
});
export type StartBackupReq = z.infer<typeof StartBackupSchema>;

export const ListBackupsSchema = z.object({ query: pageQuery('timestamp', 'id') });
export type ListBackupsReq = z.infer<typeof ListBackupsSchema>;

export const BackupIdSchema = z.object({ params: z.object({ id: IdParam }) });
export type BackupIdReq = z.infer<typeof BackupIdSchema>;

export const RestoreIdSchema = z.object({ params: z.object({ id: IdParam }) });
export type RestoreIdReq = z.infer<typeof RestoreIdSchema>;

export const StartRestoreSchema = z.object({
  body: z
    .strictObject({
      backupId: IdParam.optional().describe('Unset: the newest verified backup'),
      targetTime: z.iso
        .datetime()
        .optional()
        .describe('Point-in-time recovery from physical backups; 501 unless they are configured, 400 with `earliest` when too early'),
      targetLsn: z
        .string()
        .regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'must be a WAL position such as 16/B374D848')
        .optional()
        .describe('Point-in-time recovery to a WAL position (as pg_current_wal_lsn() prints it) instead of a time; not with targetTime'),
      target: z.enum(['scratch', 'in-place']).describe('`scratch`: a new database, named in the answer. `in-place`: the live database'),
      confirmationToken: z.string().min(1).max(100).optional().describe('In place: the token the first request answered with'),
      force: z
        .strictObject({ reason: Text().trim().min(3).max(500) })
        .optional()
        .describe('Restore a backup that failed verification; the reason goes to the audit log'),
    })
    .refine((body) => !(body.targetTime && body.targetLsn), { message: 'Give targetTime or targetLsn, not both', path: ['targetLsn'] }),
});
export type StartRestoreReq = z.infer<typeof StartRestoreSchema>;

const ProgressSchema = z
  .object({
    phase: z.enum(['dumping', 'checking', 'restoring', 'comparing']),
    bytes: z.number().int().describe('Bytes written to storage (dumping) or read from it'),
    tablesDone: z.number().int(),
    tablesTotal: z.number().int(),
    elapsedMs: z.number().int(),
    percent: z.number().optional().describe('Physical backups and restores: 0–100 by bytes, as pgBackRest reports it'),
    etaSeconds: z.number().int().nullable().describe('Seconds left, estimated from the share done; null when unknown'),
  })
  .nullable();

const ErrorSchema = z.object({ code: z.string(), message: z.string() }).nullable();

export const BackupSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['logical', 'physical']),
    format: z.string(),
    status: z.enum(['running', 'verifying', 'verified', 'failed', 'deleted']),
    bytes: z.number().int().nullable(),
    encrypted: z.boolean(),
    sha256: z.string().nullable(),
    tables: z.array(z.object({ name: z.string(), rows: z.number().int() })).nullable(),
    durationMs: z.number().int().nullable().describe('From start until stored'),
    verification: z
      .object({
        ok: z.boolean(),
        code: z.string().optional(),
        reason: z.string().optional(),
        durationMs: z.number().int(),
        verifiedAt: z.iso.datetime().nullable(),
      })
      .nullable(),
    error: ErrorSchema,
    progress: ProgressSchema,
    media: z
      .object({
        objects: z.number().int().describe('Attachments and media objects in the manifest (key, size, SHA-256 each)'),
        bytes: z.number().int(),
        missing: z.array(z.string()).describe('Keys the database referenced that storage did not hold at backup time'),
        copy: z
          .object({ copied: z.number().int(), skipped: z.number().int(), bytesCopied: z.number().int() })
          .nullable()
          .describe('With a backup target store: objects copied now, and skipped because an earlier backup copied them'),
      })
      .nullable()
      .describe('The attachments and media of the backup set'),
    physical: z
      .object({
        label: z.string().describe('pgBackRest’s label of the set'),
        type: z.enum(['full', 'diff', 'incr']),
        priorLabel: z.string().nullable(),
        databaseBytes: z.number().int().describe('The cluster’s size when backed up (`bytes`: what it takes in the repository)'),
        wal: z.object({ start: z.string(), stop: z.string() }),
        lsn: z.object({ start: z.string(), stop: z.string() }),
        restorePoint: z.object({ name: z.string(), lsn: z.string(), at: z.iso.datetime() }),
      })
      .nullable()
      .describe('Physical backups: what pgBackRest recorded, and the restore point its verification compares at'),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    createdBy: z.uuid().nullable(),
  })
  .meta({ id: 'Backup' });

export const RestoreSchema = z
  .object({
    id: z.uuid(),
    backupId: z.uuid(),
    target: z.enum(['scratch', 'in-place']),
    status: z.enum(['pending', 'running', 'succeeded', 'failed']),
    databaseName: z
      .string()
      .nullable()
      .describe('Scratch: the database (or, embedded, the directory under DATA_DIR/restores) restored into'),
    forcedReason: z.string().nullable(),
    targetTime: z.iso.datetime().nullable().describe('Point-in-time restores: the moment restored to'),
    targetLsn: z.string().nullable().describe('Point-in-time restores: the WAL position restored to'),
    result: z
      .object({
        dataDirectory: z.string().nullable().describe('The scratch cluster, stopped: start it with pg_ctl to look inside (null in place)'),
        backupLabel: z.string(),
        migrations: z.object({ applied: z.number().int(), pending: z.array(z.string()) }),
        tables: z.array(z.object({ name: z.string(), rows: z.number().int() })),
        durationMs: z.number().int(),
      })
      .nullable()
      .describe('Physical restores: what the restored cluster holds'),
    media: z
      .object({ checked: z.number().int(), missing: z.array(z.string()) })
      .nullable()
      .describe('After a restore: the backup’s media objects that storage does not hold (rows pointing at nothing)'),
    progress: ProgressSchema,
    error: ErrorSchema,
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Restore' });

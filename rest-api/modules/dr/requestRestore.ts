import crypto from 'node:crypto';
import { writeAudit } from '@shared/audit.ts';
import { AppError, ConflictError, NotFoundError } from '@shared/errors.ts';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { scratchDatabaseName } from '@shared/backup/scratchDatabase.ts';
import { findBackup, latestVerifiedBackup, logicalBackupRecordOf, type BackupRow } from '@shared/backup/backups.repo.ts';
import { NotConfiguredError } from './beginBackup.ts';
import { restoreQueueRef } from './drQueues.ts';
import { isEmbedded, type DrServices } from './drServices.ts';
import { isInPlaceRestoreRunning } from './inPlaceRestoreLock.ts';
import { lsnToBigInt } from '@shared/backup/physical/index.ts';
import { requirePhysicalStanza } from './physicalBackups.ts';
import { insertConfirmation, insertRestore, spendConfirmation, type RestoreRow, type RestoreTargetKind } from './restores.repo.ts';

/** How long the token of an in-place restore stays good: long enough to read the warning, too short to forget it. */
export const CONFIRMATION_TTL_MS = 5 * 60_000;

interface Props {
  /** The operator; null for the CLI. */
  actorId: string | null;
  /** Unset: the newest verified backup (with targetTime: the newest verified physical backup that ends before it). */
  backupId?: string;
  /** Point-in-time recovery from physical backups (pgBackRest): the moment to restore to. */
  targetTime?: Date;
  /** Point-in-time recovery to a WAL position (`16/B374D848`) instead of a moment. */
  targetLsn?: string;
  target: RestoreTargetKind;
  /** In place: the token the first ask answered with. */
  confirmationToken?: string;
  /** The CLI's `--yes`: in place without the token round trip (whoever runs the CLI holds the deployment). */
  isConfirmed?: boolean;
  /** Restores a backup that failed verification; the reason is audited. */
  force?: { reason: string };
  ip?: string;
  /** Enqueues the restore as a job; without, the caller runs it (runRestore). */
  jobs?: Jobs;
}

/** 409 `confirmation_required`: carries the token that the repeated request must send. */
class ConfirmationRequiredError extends AppError {
  constructor(token: string, expiresAt: Date) {
    super(409, 'confirmation_required', 'An in-place restore replaces the live database: repeat the request with this confirmationToken', {
      confirmationToken: token,
      expiresAt: expiresAt.toISOString(),
    });
  }
}

const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/**
 * Records a restore and queues it. The default restore point is the newest verified backup; a backup that failed
 * verification is refused (409 `backup_not_verified`) unless forced with a reason. In place is asked twice: the first
 * ask answers 409 `confirmation_required` with a one-time token bound to the backup and the operator.
 */
export async function requestRestore(services: DrServices, props: Props): Promise<RestoreRow> {
  const isPhysical =
    props.targetTime !== undefined ||
    props.targetLsn !== undefined ||
    (props.backupId && (await findBackup(services.db, props.backupId))?.kind === 'physical');
  const backup = isPhysical ? await choosePhysicalBackup(services, props) : await chooseBackup(services, props);
  if (props.target === 'in-place') await confirmInPlace(services, props, backup);
  // A physical scratch restore is a cluster of its own: its directory is in the result once it exists.
  const databaseName = props.target === 'scratch' && !isPhysical ? scratchDatabaseName() : null;
  return services.db.transaction(async (trx) => {
    const restore = await insertRestore(trx, {
      backupId: backup.id,
      target: props.target,
      databaseName,
      forcedReason: props.force?.reason ?? null,
      createdBy: props.actorId,
      targetTime: props.targetTime ?? null,
      targetLsn: props.targetLsn ?? null,
    });
    await writeAudit(trx, {
      actorId: props.actorId,
      action: props.force ? 'backup.restore_forced' : 'backup.restore_requested',
      subjectType: 'backup',
      subjectId: backup.id,
      ip: props.ip,
      data: {
        restoreId: restore.id,
        target: props.target,
        databaseName,
        targetTime: props.targetTime?.toISOString() ?? null,
        targetLsn: props.targetLsn ?? null,
        backupStatus: backup.status,
        forcedReason: props.force?.reason ?? null,
      },
    });
    if (props.jobs) await props.jobs.enqueue(restoreQueueRef, { restoreId: restore.id }, { trx });
    return restore;
  });
}

async function chooseBackup(services: DrServices, props: Props): Promise<BackupRow> {
  const backup = props.backupId ? await findBackup(services.db, props.backupId) : await latestVerifiedBackup(services.db, 'logical');
  if (!backup) {
    throw props.backupId
      ? new NotFoundError('Backup not found')
      : new ConflictError('There is no verified backup to restore', 'no_verified_backup');
  }
  if (backup.status === 'deleted') throw new ConflictError('This backup was deleted', 'backup_deleted');
  const isUsable = backup.status === 'verified' || (backup.status === 'failed' && props.force);
  if (!isUsable) {
    throw new ConflictError(
      `This backup is ${backup.status}, not verified: restore it only by forcing, with a reason`,
      'backup_not_verified',
    );
  }
  // A backup whose making failed has nothing to read, forced or not.
  logicalBackupRecordOf(backup);
  return backup;
}

/** Where a point-in-time restore goes: whether a backup ends before it, and the first point a backup reaches. */
interface PointInTime {
  text: string;
  isReachableFrom(row: BackupRow): boolean;
  earliestFrom(row: BackupRow): string;
}

/** The restore's target: a moment (a second after the backup ended, to be safe) or a WAL position past its end. */
function pointInTimeOf(props: Props): PointInTime | undefined {
  if (props.targetTime) {
    const time = props.targetTime;
    const earliest = (row: BackupRow) => new Date(new Date(row.physical!.backupStoppedAt).getTime() + 1000);
    return {
      text: time.toISOString(),
      isReachableFrom: (row) => earliest(row).getTime() <= time.getTime(),
      earliestFrom: (row) => earliest(row).toISOString(),
    };
  }
  if (props.targetLsn) {
    const lsn = lsnToBigInt(props.targetLsn);
    return {
      text: props.targetLsn,
      isReachableFrom: (row) => lsnToBigInt(row.physical!.lsn.stop) <= lsn,
      earliestFrom: (row) => row.physical!.lsn.stop,
    };
  }
  return undefined;
}

/**
 * The physical backup a point-in-time restore starts from: the newest verified one that ends before the target (or
 * the one named). A target before every verified backup is 400 with the earliest reachable point; one in the future
 * (a later moment, a WAL position the database has not written yet) is 400 too: recovery would run out of WAL and
 * PostgreSQL would refuse to start.
 */
async function choosePhysicalBackup(services: DrServices, props: Props): Promise<BackupRow> {
  requirePhysicalStanza(services.config);
  const point = pointInTimeOf(props);
  if (point && (await isInTheFuture(services, props))) {
    throw new AppError(400, 'restore_target_after_latest', 'The restore target is in the future', { target: point.text });
  }
  let backup: BackupRow | undefined;
  if (props.backupId) {
    backup = await findBackup(services.db, props.backupId);
    if (!backup) throw new NotFoundError('Backup not found');
    if (backup.kind !== 'physical')
      throw new AppError(400, 'target_time_needs_physical_backup', 'A point-in-time target restores from physical backups only');
  } else {
    const verified = (
      await services.db<BackupRow>('backups').where({ kind: 'physical', status: 'verified' }).orderBy('started_at', 'desc')
    ).filter((row) => row.physical);
    backup = point ? verified.find((row) => point.isReachableFrom(row)) : verified[0];
    if (!backup) {
      const oldest = verified.at(-1);
      const earliest = oldest && point ? point.earliestFrom(oldest) : null;
      throw new AppError(
        400,
        'restore_target_before_earliest',
        earliest
          ? `The restore target is before the earliest recoverable point from a verified backup (${earliest})`
          : 'There is no verified physical backup to restore from',
        { earliest },
      );
    }
  }
  if (backup.status === 'deleted') throw new ConflictError('This backup was deleted', 'backup_deleted');
  if (!(backup.status === 'verified' || (backup.status === 'failed' && props.force))) {
    throw new ConflictError(
      `This backup is ${backup.status}, not verified: restore it only by forcing, with a reason`,
      'backup_not_verified',
    );
  }
  if (!backup.physical) throw new ConflictError('This backup has no stored physical backup to read', 'backup_not_restorable');
  if (point && !point.isReachableFrom(backup)) {
    throw new AppError(400, 'restore_target_before_earliest', 'The restore target is before this backup ended', {
      earliest: point.earliestFrom(backup),
    });
  }
  return backup;
}

/** A moment after now, or a WAL position past what the live database has written. */
async function isInTheFuture(services: DrServices, props: Props): Promise<boolean> {
  if (props.targetTime) return props.targetTime.getTime() > Date.now();
  if (!props.targetLsn) return false;
  const { rows } = await services.db.raw<{ rows: Array<{ lsn: string }> }>('select pg_current_wal_lsn()::text as lsn');
  return lsnToBigInt(props.targetLsn) > lsnToBigInt(rows[0]!.lsn);
}

async function confirmInPlace(services: DrServices, props: Props, backup: BackupRow): Promise<void> {
  if (isEmbedded(services)) {
    throw new NotConfiguredError(
      'in_place_restore_not_supported',
      'The embedded database cannot be replaced while the server runs: stop it and run `npm run restore -- <id> --in-place --yes`',
    );
  }
  if (await isInPlaceRestoreRunning(services.db)) throw new ConflictError('An in-place restore is already running', 'restore_in_progress');
  if (props.isConfirmed) return;
  if (!props.confirmationToken) {
    const token = crypto.randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + CONFIRMATION_TTL_MS);
    await insertConfirmation(services.db, { tokenHash: hashToken(token), backupId: backup.id, operatorId: props.actorId!, expiresAt });
    throw new ConfirmationRequiredError(token, expiresAt);
  }
  const isValid = await spendConfirmation(services.db, {
    tokenHash: hashToken(props.confirmationToken),
    backupId: backup.id,
    operatorId: props.actorId!,
  });
  if (!isValid) {
    throw new ConflictError(
      'This confirmation token is unknown, spent, expired, or for another backup or operator',
      'confirmation_invalid',
    );
  }
}

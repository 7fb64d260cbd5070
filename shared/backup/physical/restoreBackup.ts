import { chown, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { progressListener, type PhysicalBackupProgress } from './backupCommands.ts';
import { osUserIds } from './osUser.ts';
import { PhysicalBackupError } from './PhysicalBackupError.ts';
import { readBackupInfo, type PhysicalBackup } from './readBackupInfo.ts';
import { runPgBackRest } from './runPgBackRest.ts';
import type { PgBackRestStanza } from './PhysicalBackupSetup.ts';

/**
 * Where recovery stops: the state as of a moment, or just after a WAL position (both inclusive), or the end
 * of the archived WAL (`latest`). A time or LSN must lie before the last archived commit: PostgreSQL refuses
 * to start ("recovery ended before configured recovery target was reached") when the archive ends first —
 * for "as recent as possible" use `latest`. `restorePoint`: a named point (pg_create_restore_point) after the
 * backup given as `backupLabel`; markRestorePoint makes one when a backup ends, so verification can compare exactly.
 */
export type RestoreTarget = { time: Date } | { lsn: string } | { latest: true } | { restorePoint: string };

export interface RestoreOptions {
  target: RestoreTarget;
  /**
   * `{ dataDirectory }`: a NEW, empty directory for a scratch cluster (archiving is switched off there so it
   * never pushes WAL into this cluster's repository). `'in-place'`: over the setup's own data directory,
   * which must be stopped; only files that differ are rewritten (`--delta`).
   */
  destination: { dataDirectory: string } | 'in-place';
  onProgress?: (progress: PhysicalBackupProgress) => void;
  /**
   * Recovery starts from this backup (it must end before the target) instead of the newest one that does: so a
   * backup that has not verified is never used. Required for a `restorePoint` target.
   */
  backupLabel?: string;
}

/** `16/B374D848` → a number that orders like the WAL position. */
export function lsnToBigInt(lsn: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!match) throw new PhysicalBackupError('backup_command_failed', `Not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** PostgreSQL's recovery_target_time syntax, in UTC, to the millisecond. */
function recoveryTime(time: Date): string {
  return time.toISOString().replace('T', ' ').replace('Z', '+00');
}

/**
 * The newest backup that ends at or before the target: recovery starts there and replays archived WAL up
 * to the target. Chosen here rather than by pgBackRest so a target before every backup is refused before
 * anything is touched, with the earliest reachable point in the error.
 */
function backupForTarget(backups: PhysicalBackup[], target: RestoreTarget, label?: string): PhysicalBackup {
  if (label !== undefined) {
    const pinned = backups.find((backup) => backup.label === label);
    if (!pinned) throw new PhysicalBackupError('backup_command_failed', `The repository no longer holds backup ${label}`, { label });
    // The pinned backup must still end before a time or LSN target; a restore point is named after it.
    if ('restorePoint' in target || 'latest' in target) return pinned;
    return backupForTarget([pinned], target);
  }
  if ('restorePoint' in target) {
    throw new PhysicalBackupError('backup_command_failed', 'A restore point target needs the backup it follows (backupLabel)');
  }
  if ('latest' in target) {
    const newest = backups.at(-1);
    if (!newest) throw new PhysicalBackupError('restore_target_before_earliest', 'There is no backup to restore from', { earliest: null });
    return newest;
  }
  if ('time' in target && target.time.getTime() > Date.now()) {
    // Recovery would run out of WAL before the target, and PostgreSQL then refuses to start at all.
    throw new PhysicalBackupError('restore_target_after_latest', 'The restore target is in the future; restore to `latest` instead', {
      target: target.time.toISOString(),
    });
  }
  const endsBeforeTarget =
    'time' in target
      ? (backup: PhysicalBackup) => backup.stoppedAt.getTime() + 1000 <= target.time.getTime()
      : (backup: PhysicalBackup) => lsnToBigInt(backup.lsn.stop) <= lsnToBigInt(target.lsn);
  const backup = backups.filter(endsBeforeTarget).at(-1);
  if (backup) return backup;
  const oldest = backups[0];
  const earliest = oldest ? new Date(oldest.stoppedAt.getTime() + 1000).toISOString() : null;
  throw new PhysicalBackupError(
    'restore_target_before_earliest',
    oldest
      ? `The restore target is before the earliest recoverable point (${earliest}, WAL position ${oldest.lsn.stop})`
      : 'There is no backup to restore from',
    { earliest, earliestLsn: oldest?.lsn.stop ?? null },
  );
}

/** Refuses a destination that holds anything: a restore never mixes its files with others. */
async function prepareEmptyDirectory(directory: string, osUser: string): Promise<void> {
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (entries.length > 0) {
    throw new PhysicalBackupError('restore_destination_in_use', `The restore destination ${directory} is not empty`);
  }
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const { uid, gid } = osUserIds(osUser);
  await chown(directory, uid, gid);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Restores the cluster as of `target` and leaves it ready to start: on start PostgreSQL replays the
 * archived WAL up to the target, then promotes itself to a writable primary (`--target-action=promote`).
 * Resolves with the backup recovery starts from.
 */
export async function restoreBackup(setup: PgBackRestStanza, options: RestoreOptions): Promise<PhysicalBackup> {
  const { backups } = await readBackupInfo(setup);
  const backup = backupForTarget(backups, options.target, options.backupLabel);
  const { target } = options;
  const args = [
    `--set=${backup.label}`,
    // `default` replays all archived WAL and promotes by itself; target-action applies to explicit targets only.
    ...('latest' in target
      ? ['--type=default']
      : 'time' in target
        ? ['--type=time', `--target=${recoveryTime(target.time)}`, '--target-action=promote']
        : 'lsn' in target
          ? ['--type=lsn', `--target=${target.lsn}`, '--target-action=promote']
          : ['--type=name', `--target=${target.restorePoint}`, '--target-action=promote']),
  ];
  if (options.destination === 'in-place') {
    if (!setup.cluster) throw new PhysicalBackupError('backup_command_failed', 'An in-place restore needs the cluster’s data directory');
    if (await exists(path.join(setup.cluster.dataDirectory, 'postmaster.pid'))) {
      throw new PhysicalBackupError('restore_destination_in_use', 'Stop the cluster before restoring it in place');
    }
    args.push('--delta');
  } else {
    await prepareEmptyDirectory(options.destination.dataDirectory, setup.osUser);
    args.push(`--pg1-path=${options.destination.dataDirectory}`, '--archive-mode=off');
  }
  await runPgBackRest(setup, 'restore', args, { consoleLevel: 'detail', onLine: progressListener(options.onProgress) });
  return backup;
}

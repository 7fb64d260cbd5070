import { PASSPHRASE_WRONG_MESSAGE, PhysicalBackupError } from './PhysicalBackupError.ts';
import { runPgBackRest } from './runPgBackRest.ts';
import type { PgBackRestStanza } from './PhysicalBackupSetup.ts';

/** One backup set in the repository. */
export interface PhysicalBackup {
  /** pgBackRest's label, e.g. `20261130-044007F` or `20261130-044007F_20261130-050000I`. */
  label: string;
  type: 'full' | 'diff' | 'incr';
  /** The label this one depends on (null for a full). */
  priorLabel: string | null;
  startedAt: Date;
  stoppedAt: Date;
  /** Size of the cluster when backed up. */
  databaseBytes: number;
  /** Bytes this backup copied (all of them for a full, the changes for diff/incr). */
  copiedBytes: number;
  /** Bytes it takes in the repository, compressed and encrypted. */
  repositoryBytes: number;
  /** WAL segments from the backup's start to its end: all must be in the archive for it to restore. */
  wal: { start: string; stop: string };
  lsn: { start: string; stop: string };
}

export interface PhysicalBackupInfo {
  /** Oldest first, as pgBackRest lists them. */
  backups: PhysicalBackup[];
  /** The archived WAL range (null before the first segment is archived). */
  archivedWal: { min: string; max: string } | null;
  /**
   * The earliest time a restore can reach: the end of the oldest backup (a backup is consistent only once
   * it has stopped), rounded up to the next second because pgBackRest records whole seconds. Null when
   * there is no backup. The latest is the last archived WAL segment — with
   * archive_timeout=60 at most a minute behind the cluster; pg_stat_archiver.last_archived_time tells when.
   */
  earliestRecoverableAt: Date | null;
  /** The end of the newest backup. */
  latestBackupAt: Date | null;
  /** True while a backup holds the stanza's lock. */
  isBackupRunning: boolean;
}

/** The parts of `pgbackrest info --output=json` (2.45) read here. */
interface RawInfo {
  archive: Array<{ min: string | null; max: string | null }>;
  backup: Array<{
    label: string;
    type: 'full' | 'diff' | 'incr';
    prior: string | null;
    error?: boolean;
    timestamp: { start: number; stop: number };
    info: { size: number; delta: number; repository: { size: number; delta: number } };
    archive: { start: string; stop: string };
    lsn: { start: string; stop: string };
  }>;
  status: { code: number; message: string; lock?: { backup?: { held: boolean } } };
  repo: Array<{ status: { code: number; message: string } }>;
}

function toBackup(raw: RawInfo['backup'][number]): PhysicalBackup {
  return {
    label: raw.label,
    type: raw.type,
    priorLabel: raw.prior,
    startedAt: new Date(raw.timestamp.start * 1000),
    stoppedAt: new Date(raw.timestamp.stop * 1000),
    databaseBytes: raw.info.size,
    copiedBytes: raw.info.delta,
    repositoryBytes: raw.info.repository.delta,
    wal: raw.archive,
    lsn: raw.lsn,
  };
}

/** The typed error for a repository status message; its first line names the error class (`[HostConnectError] …`). */
function repositoryFailure(message: string): PhysicalBackupError {
  // Only the first line: later ones may quote undecryptable bytes.
  const headline = (message.split('\n')[0] ?? '').replace(/[^\x20-\x7e]+/g, '?').slice(0, 300);
  if (/^\[(FormatError|CryptoError)\] unable to load info file/.test(headline)) {
    return new PhysicalBackupError('backup_passphrase_wrong', PASSPHRASE_WRONG_MESSAGE, { command: 'info' });
  }
  const code = /^\[HostConnectError\]|certificate|TLS/.test(headline) ? 'backup_repo_unreachable' : 'backup_command_failed';
  return new PhysicalBackupError(code, `Cannot read the backup repository: ${headline}`, { command: 'info' });
}

/**
 * Reads the repository's view of the stanza. pgBackRest answers `info` with exit 0 even when the
 * repository is unreachable or undecryptable, putting the failure in the JSON: that becomes the same
 * typed error a backup would raise.
 */
export async function readBackupInfo(setup: PgBackRestStanza): Promise<PhysicalBackupInfo> {
  const output = await runPgBackRest(setup, 'info', ['--output=json']);
  let parsed: RawInfo[];
  try {
    parsed = JSON.parse(output) as RawInfo[];
  } catch {
    // With a wrong passphrase pgBackRest 2.45 quotes the undecrypted bytes unescaped, which is not JSON.
    throw repositoryFailure(/"message":"(\[\w+\][^"\\]*)/.exec(output)?.[1] ?? 'unreadable info output');
  }
  const [stanza] = parsed;
  if (!stanza) throw new PhysicalBackupError('backup_command_failed', 'pgBackRest info listed no stanza', { command: 'info' });
  const repoStatus = stanza.repo[0]?.status;
  // 1 "missing stanza path" and 2 "no valid backups" describe an empty repository: a valid, empty answer.
  if (repoStatus && ![0, 1, 2].includes(repoStatus.code)) throw repositoryFailure(repoStatus.message);
  // A failed backup is not restorable; pgBackRest 2.45 lists only completed ones, but the flag is cheap to honour.
  const backups = stanza.backup.filter((backup) => !backup.error).map(toBackup);
  const archive = stanza.archive.at(-1);
  return {
    backups,
    archivedWal: archive?.min && archive.max ? { min: archive.min, max: archive.max } : null,
    earliestRecoverableAt: backups[0] ? new Date(backups[0].stoppedAt.getTime() + 1000) : null,
    latestBackupAt: backups.at(-1)?.stoppedAt ?? null,
    isBackupRunning: stanza.status.lock?.backup?.held ?? false,
  };
}

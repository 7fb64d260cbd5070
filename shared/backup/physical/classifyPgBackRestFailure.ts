import { PASSPHRASE_WRONG_MESSAGE, PhysicalBackupError, type PhysicalBackupErrorCode } from './PhysicalBackupError.ts';

/** pgBackRest 2.45 error numbers (src/build/error/error.yaml) that decide the code on their own. */
const CODE_BY_EXIT: Partial<Record<number, PhysicalBackupErrorCode>> = {
  38: 'restore_destination_in_use', // PgRunningError: postmaster.pid present
  40: 'restore_destination_in_use', // PathNotEmptyError
  49: 'backup_repo_unreachable', // HostConnectError
  50: 'backup_already_running', // LockAcquireError
  82: 'backup_wal_archive_timeout', // ArchiveTimeoutError
};

const MESSAGES: Record<PhysicalBackupErrorCode, string> = {
  backup_repo_unreachable: 'The backup repository is unreachable',
  backup_passphrase_wrong: PASSPHRASE_WRONG_MESSAGE,
  backup_stanza_missing: 'The backup repository has no stanza for this cluster yet: create it first',
  backup_already_running: 'Another backup command holds this cluster’s lock; try again when it ends',
  backup_wal_archive_timeout: 'PostgreSQL did not archive the WAL the backup needs in time: check archive_command',
  restore_target_before_earliest: 'The restore target is before the earliest recoverable time',
  restore_target_after_latest: 'The restore target is after the latest archived WAL',
  restore_destination_in_use: 'The restore destination is in use (a running cluster, or a directory that is not empty)',
  backup_command_failed: 'pgBackRest failed',
};

/** Printable ASCII only: a wrong passphrase makes pgBackRest quote undecryptable bytes, which must not reach logs or clients. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, '?');
}

/**
 * The first `ERROR: [NNN]: …` line of pgBackRest's output and, when it has one, the cause pgBackRest
 * prints under it (`HostConnectError: unable to connect to …: Connection refused`).
 */
function errorSummary(output: string): { headline: string; cause: string } {
  const lines = output.split('\n');
  const index = lines.findIndex((entry) => /ERROR: \[\d+\]/.test(entry));
  if (index < 0) return { headline: printable(lines.filter(Boolean).at(-1) ?? 'no output').slice(0, 300), cause: '' };
  const headline = printable(lines[index]!.replace(/^.*?ERROR: /, '')).slice(0, 300);
  const cause = printable((lines[index + 1] ?? '').trim());
  return { headline, cause: /^\w+Error: /.test(cause) ? cause.slice(0, 300) : '' };
}

/** Decides which PhysicalBackupError a failed pgBackRest run is, from its exit code and its output. */
export function classifyPgBackRestFailure(command: string, exitCode: number, output: string): PhysicalBackupError {
  const { headline, cause } = errorSummary(output);
  // Judged on the headline and its cause only: the rest may quote undecryptable bytes that spell anything.
  const summary = `${headline} ${cause}`;
  const isDatabaseConnection = /dbname=/.test(summary);
  let code = CODE_BY_EXIT[exitCode] ?? 'backup_command_failed';
  if (code === 'backup_repo_unreachable' && isDatabaseConnection) code = 'backup_command_failed';
  if (code === 'backup_command_failed' && !isDatabaseConnection) {
    // A wrong passphrase surfaces as info files that decrypt to garbage (checked first: the cause quotes it).
    if (/unable to load info file/.test(headline) && /^(FormatError|CryptoError)/.test(cause)) code = 'backup_passphrase_wrong';
    else if (/HostConnectError|certificate|TLS|SSL/.test(summary)) code = 'backup_repo_unreachable';
    else if (/stanza .* does not exist|^FileMissingError/.test(summary)) code = 'backup_stanza_missing';
  }
  const reason = cause ? `${headline} ${cause}` : headline;
  const message = code === 'backup_passphrase_wrong' ? MESSAGES[code] : `${MESSAGES[code]}: ${reason}`;
  return new PhysicalBackupError(code, message, { command, exitCode }, exitCode);
}

import { AppError } from '../../errors.ts';

/** What went wrong, as a stable code the API and the runbook branch on. */
export type PhysicalBackupErrorCode =
  /** The repository (S3 or the backup volume) did not answer, or its TLS certificate was refused. */
  | 'backup_repo_unreachable'
  /** The repository holds data encrypted with another passphrase: nothing was read or written. */
  | 'backup_passphrase_wrong'
  /** The repository has no stanza for this cluster yet (stanza-create was never run). */
  | 'backup_stanza_missing'
  /** Another backup, expire or stanza command holds the stanza's lock. */
  | 'backup_already_running'
  /** PostgreSQL did not archive the WAL the backup needs in time: archive_command is failing. */
  | 'backup_wal_archive_timeout'
  /** The restore target is older than the oldest backup's end: nothing can reach it. */
  | 'restore_target_before_earliest'
  /** The restore target is in the future: no archived WAL can reach it, and PostgreSQL would refuse to start. */
  | 'restore_target_after_latest'
  /** A restore into a directory that is not empty, or in place into a cluster that still runs. */
  | 'restore_destination_in_use'
  /** Anything else pgBackRest reported. */
  | 'backup_command_failed';

/** Said for a wrong passphrase whichever command met it; the repository's bytes are never quoted. */
export const PASSPHRASE_WRONG_MESSAGE =
  'The backup repository cannot be decrypted with this passphrase ' +
  '(wrong passphrase, or a repository of another installation); nothing was changed';

const STATUS: Record<PhysicalBackupErrorCode, number> = {
  backup_repo_unreachable: 503,
  backup_passphrase_wrong: 409,
  backup_stanza_missing: 409,
  backup_already_running: 409,
  backup_wal_archive_timeout: 503,
  restore_target_before_earliest: 400,
  restore_target_after_latest: 400,
  restore_destination_in_use: 409,
  backup_command_failed: 500,
};

/** A failed pgBackRest operation with a stable code; `details` carry what an operator needs (e.g. `earliest`). */
export class PhysicalBackupError extends AppError {
  constructor(
    override readonly code: PhysicalBackupErrorCode,
    message: string,
    details?: Record<string, unknown>,
    /** pgBackRest's exit code, when the error came from it. */
    readonly exitCode?: number,
  ) {
    super(STATUS[code], code, message, details);
  }
}

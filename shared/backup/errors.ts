import { AppError } from '../errors.ts';

/**
 * A backup that cannot be read back as it was written. 409: the request is fine, the backup object is not.
 * Codes: `backup_key_mismatch` (encrypted with another BACKUP_ENCRYPTION_KEY), `backup_key_missing` (encrypted,
 * and no key is configured), `backup_corrupt` (bytes changed, truncated or not a backup at all),
 * `backup_checksum_mismatch` (the stored object's sha256 is not the recorded one), `backup_missing` (no object at its key).
 */
export class BackupIntegrityError extends AppError {
  constructor(
    code: 'backup_key_mismatch' | 'backup_key_missing' | 'backup_corrupt' | 'backup_checksum_mismatch' | 'backup_missing',
    message: string,
  ) {
    super(409, code, message);
  }
}

/** A backup that is refused before it starts: in production, without BACKUP_ENCRYPTION_KEY (`backup_key_required`). */
export class BackupRefusedError extends AppError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/** A backup or restore that failed in its tools (pg_dump, pg_restore) or its storage; the message says which. */
export class BackupFailedError extends AppError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(500, code, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

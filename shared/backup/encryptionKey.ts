import type { Config } from '../config.ts';
import { BackupRefusedError } from './errors.ts';

/**
 * The key backups are encrypted with, or undefined for an unencrypted backup. In production a backup without
 * BACKUP_ENCRYPTION_KEY is refused (`backup_key_required`): a backup holds every user's data, and object storage
 * is often run by someone else. Elsewhere (a laptop, tests) it is made unencrypted and recorded as such.
 */
export function backupEncryptionKey(config: Pick<Config, 'NODE_ENV' | 'BACKUP_ENCRYPTION_KEY'>): Buffer | undefined {
  if (config.BACKUP_ENCRYPTION_KEY) return config.BACKUP_ENCRYPTION_KEY;
  if (config.NODE_ENV === 'production') {
    throw new BackupRefusedError('backup_key_required', 'Backups are refused in production until BACKUP_ENCRYPTION_KEY is set');
  }
  return undefined;
}

import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../config.ts';
import { backupEncryptionKey } from './encryptionKey.ts';

describe('the backup encryption key', () => {
  it('is BACKUP_ENCRYPTION_KEY when set', () => {
    const key = crypto.randomBytes(32);
    const config = parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), BACKUP_ENCRYPTION_KEY: key.toString('hex') });
    expect(backupEncryptionKey(config)?.equals(key)).toBe(true);
  });

  it('refuses backups in production without a key, and allows unencrypted ones elsewhere', () => {
    expect(() => backupEncryptionKey(parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }))).toThrow(
      expect.objectContaining({ code: 'backup_key_required', status: 409 }),
    );
    expect(backupEncryptionKey(parseConfig({ NODE_ENV: 'development' }))).toBeUndefined();
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '../config.ts';
import { createStorage } from './createStorage.ts';
import { LocalStorage } from './LocalStorage.ts';

/** The lines parseConfig refuses an environment with. */
function configErrors(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  return [];
}

describe('object storage settings', () => {
  it('keeps objects under DATA_DIR/objects with nothing set, and touches no disk until used', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-config-')), 'data');
    const config = parseConfig({ DATA_DIR: dataDir });
    expect(config.ATTACHMENT_MAX_BYTES).toBe(25 * 1024 * 1024);
    const storage = createStorage(config);
    expect(storage).toBeInstanceOf(LocalStorage);
    expect((storage as LocalStorage).root).toBe(path.join(dataDir, 'objects'));
    expect(fs.existsSync(dataDir)).toBe(false);
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('uses STORAGE_DIR when set, and S3 as soon as S3_BUCKET is', async () => {
    expect((createStorage(parseConfig({ STORAGE_DIR: '/srv/objects' })) as LocalStorage).root).toBe('/srv/objects');
    const s3 = createStorage(parseConfig({ S3_BUCKET: 'attachments', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' }));
    expect(s3.driver).toBe('s3');
    await s3.close();
  });

  it('names a bad bucket and a credential set half-way, without ever echoing the secret', () => {
    expect(configErrors({ S3_BUCKET: 'x', S3_ACCESS_KEY_ID: 'AKIAEXAMPLE' })).toEqual([
      'Invalid configuration: S3_BUCKET must be at least 3 characters (got "x")',
      'Invalid configuration: S3_SECRET_ACCESS_KEY is required when S3_ACCESS_KEY_ID is set',
    ]);
    const lines = configErrors({ S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG', S3_ENDPOINT: 'ftp://nope' });
    expect(lines).toContain('Invalid configuration: S3_ACCESS_KEY_ID is required when S3_SECRET_ACCESS_KEY is set');
    expect(lines.join('\n')).not.toContain('wJalrXUtnFEMI');
  });
});

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { classifyPgBackRestFailure } from './classifyPgBackRestFailure.ts';
import {
  archiveSettingsFor,
  renderPgBackRestConfig,
  renderPostgresSettings,
  writePgBackRestConfig,
  type PhysicalBackupSetup,
} from './index.ts';

const setup: PhysicalBackupSetup = {
  stanza: 'main',
  configPath: '/var/lib/twinmcp/pgbackrest/pgbackrest.conf',
  workDirectory: '/var/lib/twinmcp/pgbackrest/work',
  osUser: 'postgres',
  cluster: { dataDirectory: '/var/lib/postgresql/15/main', port: 5432, socketDirectory: '/var/run/postgresql' },
  repository: {
    kind: 's3',
    bucket: 'backups',
    endpoint: 's3.eu-west-1.amazonaws.com',
    region: 'eu-west-1',
    accessKeyId: 'AKIA-EXAMPLE',
    secretAccessKey: 'secret-example',
  },
  cipherPassphrase: 'passphrase-example',
  processMax: 2,
};

describe('pgbackrest.conf and the cluster settings', () => {
  it('encrypts, compresses with zstd, starts fast and keeps TLS verification on', () => {
    const config = renderPgBackRestConfig(setup);
    for (const line of [
      'repo1-type=s3',
      'repo1-cipher-type=aes-256-cbc',
      'repo1-cipher-pass=passphrase-example',
      'compress-type=zst',
      'process-max=2',
      'start-fast=y',
      'repo1-storage-port=443',
      'repo1-s3-uri-style=host',
      'repo1-retention-full=4',
      'pg1-path=/var/lib/postgresql/15/main',
    ]) {
      expect(config.split('\n')).toContain(line);
    }
    expect(config).not.toMatch(/verify-tls/);
    expect(config).toMatch(/^\[main\]$/m);
  });

  it('refuses a value with a line break, which could smuggle in another option', () => {
    expect(() => renderPgBackRestConfig({ ...setup, cipherPassphrase: 'x\nrepo1-cipher-type=none' })).toThrow(/line break/);
  });

  it('writes the config readable by the postgres user only, because it holds the passphrase and the S3 secret', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'twinmcp-pgbackrest-conf-'));
    try {
      const configPath = path.join(directory, 'pgbackrest.conf');
      await writePgBackRestConfig({ ...setup, configPath, workDirectory: path.join(directory, 'work') });
      const info = await stat(configPath);
      expect(info.mode & 0o777).toBe(0o600);
      expect(info.uid).not.toBe(0);
      expect(await readFile(configPath, 'utf8')).toContain('repo1-s3-key-secret=secret-example');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('archives WAL through pgBackRest at least once a minute (RPO 60 s from backups alone)', () => {
    expect(archiveSettingsFor(setup)).toEqual({
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: 'pgbackrest --config=/var/lib/twinmcp/pgbackrest/pgbackrest.conf --stanza=main archive-push %p',
      archive_timeout: '60',
    });
    expect(renderPostgresSettings({ archive_command: "it's" })).toBe("archive_command = 'it''s'");
    expect(() => archiveSettingsFor({ ...setup, configPath: '/tmp/a b.conf' })).toThrow(/plain path/);
  });
});

describe('what a failed pgBackRest run is', () => {
  it.each([
    [
      'an S3 server that refuses connections',
      49,
      "ERROR: [049]: unable to load info file '/pgbackrest/backup/main/backup.info':\n" +
        "       HostConnectError: unable to connect to 'localhost:9000': [111] Connection refused",
      'backup_repo_unreachable',
    ],
    [
      'a certificate that does not name the host',
      95,
      "ERROR: [095]: unable to find hostname '127.0.0.1' in certificate common name or subject alternative names",
      'backup_repo_unreachable',
    ],
    [
      'a wrong passphrase',
      29,
      "ERROR: [029]: unable to load info file '/pgbackrest/backup/main/backup.info':\n" +
        '       FormatError: key/value found outside of section at line 1: \u0001TLS\u00ff\u00fe garbage',
      'backup_passphrase_wrong',
    ],
    ['another backup running', 50, "ERROR: [050]: unable to acquire lock on file '/x/main-backup.lock'", 'backup_already_running'],
    [
      'a database that does not answer',
      56,
      "ERROR: [056]: unable to find primary cluster - cannot proceed\n       HINT: unable to connect to 'dbname='postgres' port=5432'",
      'backup_command_failed',
    ],
  ])('%s (exit %s) → the error it is', (_what, exitCode, output, code) => {
    const error = classifyPgBackRestFailure('backup', exitCode, output);
    expect(error.code).toBe(code);
    expect(error.message).not.toMatch(/[^\x20-\x7e’]/);
  });
});

import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { osUserIds } from './osUser.ts';
import type { PhysicalBackupSetup } from './PhysicalBackupSetup.ts';

/** A pgBackRest config value must stay on its line: a newline would let a value smuggle in another option. */
function assertSingleLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${name} must not contain a line break`);
  return value;
}

/** All cores but one (the database keeps one), at least 1, at most 4 (beyond that S3 round trips dominate). */
export function defaultProcessMax(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

/** The pgbackrest.conf text for `setup` (see index.ts for why each option is set). */
export function renderPgBackRestConfig(setup: PhysicalBackupSetup): string {
  if (!/^[A-Za-z0-9_-]+$/.test(setup.stanza)) throw new Error('stanza must be letters, digits, _ or -');
  const { repository, cluster } = setup;
  const global: Record<string, string | number> = {};
  if (repository.kind === 's3') {
    Object.assign(global, {
      'repo1-type': 's3',
      'repo1-s3-bucket': repository.bucket,
      'repo1-s3-endpoint': repository.endpoint,
      'repo1-storage-port': repository.port ?? 443,
      'repo1-s3-region': repository.region,
      'repo1-s3-key': repository.accessKeyId,
      'repo1-s3-key-secret': repository.secretAccessKey,
      'repo1-s3-uri-style': repository.isPathStyle ? 'path' : 'host',
      'repo1-path': repository.path ?? '/pgbackrest',
      ...(repository.caFile ? { 'repo1-storage-ca-file': repository.caFile } : {}),
    });
  } else {
    Object.assign(global, { 'repo1-type': 'posix', 'repo1-path': repository.path });
  }
  Object.assign(global, {
    'repo1-cipher-type': 'aes-256-cbc',
    'repo1-cipher-pass': setup.cipherPassphrase,
    'repo1-retention-full': setup.retainFullBackups ?? 4,
    'compress-type': 'zst',
    'compress-level': 3,
    'process-max': setup.processMax ?? defaultProcessMax(),
    'start-fast': 'y',
    'archive-async': 'n',
    'io-timeout': setup.ioTimeoutSeconds ?? 60,
    'lock-path': path.join(setup.workDirectory, 'lock'),
    'spool-path': path.join(setup.workDirectory, 'spool'),
    'log-path': path.join(setup.workDirectory, 'log'),
    'log-level-file': 'off',
  });
  const stanza = {
    'pg1-path': cluster.dataDirectory,
    'pg1-port': cluster.port,
    'pg1-socket-path': cluster.socketDirectory,
    'pg1-user': cluster.databaseUser ?? 'postgres',
  };
  const section = (name: string, options: Record<string, string | number>) =>
    [`[${name}]`, ...Object.entries(options).map(([key, value]) => `${key}=${assertSingleLine(key, String(value))}`)].join('\n');
  return `${section('global', global)}\n\n${section(setup.stanza, stanza)}\n`;
}

/**
 * Writes pgbackrest.conf and the work directory, owned by `osUser`: archive_command runs as that user and
 * must read the config, and nobody else may (it holds the cipher passphrase and the S3 secret).
 */
export async function writePgBackRestConfig(setup: PhysicalBackupSetup): Promise<void> {
  const { uid, gid } = osUserIds(setup.osUser);
  await mkdir(path.dirname(setup.configPath), { recursive: true });
  await writeFile(setup.configPath, renderPgBackRestConfig(setup), { mode: 0o600 });
  await chmod(setup.configPath, 0o600);
  await chown(setup.configPath, uid, gid);
  for (const directory of [setup.workDirectory, ...['lock', 'spool', 'log'].map((name) => path.join(setup.workDirectory, name))]) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await chown(directory, uid, gid);
  }
}

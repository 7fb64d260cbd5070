import { appendFile, chown, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { osUserIds } from './osUser.ts';
import type { PhysicalBackupSetup } from './PhysicalBackupSetup.ts';

/** The file applyArchiveSettings writes inside the data directory, included from postgresql.conf. */
export const ARCHIVE_SETTINGS_FILE = 'pgbackrest_archive.conf';

/**
 * The PostgreSQL settings that make physical backups and point-in-time recovery work (the runbook lists
 * them; index.ts says why each). archive_timeout=60 closes a WAL segment at least once a minute when
 * anything was written, so the archive — and with it the RPO from backups alone — is never more than
 * 60 s behind. Changing archive_mode or wal_level needs a restart.
 */
export function archiveSettingsFor(setup: PhysicalBackupSetup): Record<string, string> {
  // The command runs through a shell: refuse anything that would need quoting there.
  if (!/^[\w./-]+$/.test(setup.configPath)) throw new Error('configPath must be a plain path (letters, digits, . / _ -)');
  return {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: `pgbackrest --config=${setup.configPath} --stanza=${setup.stanza} archive-push %p`,
    archive_timeout: '60',
  };
}

/** `name = 'value'` lines, quoted the way postgresql.conf reads them. */
export function renderPostgresSettings(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'`)
    .join('\n');
}

/**
 * Writes the archive settings into the cluster's data directory and includes them from postgresql.conf
 * (once). For clusters this product creates (tests, drills); an operator sets them as the runbook says.
 * Takes effect at the next start.
 */
export async function applyArchiveSettings(setup: PhysicalBackupSetup): Promise<void> {
  const directory = setup.cluster.dataDirectory;
  const { uid, gid } = osUserIds(setup.osUser);
  const file = path.join(directory, ARCHIVE_SETTINGS_FILE);
  await writeFile(file, `${renderPostgresSettings(archiveSettingsFor(setup))}\n`, { mode: 0o600 });
  await chown(file, uid, gid);
  const mainConfig = path.join(directory, 'postgresql.conf');
  const includeLine = `include_if_exists = '${ARCHIVE_SETTINGS_FILE}'`;
  if (!(await readFile(mainConfig, 'utf8')).includes(includeLine)) await appendFile(mainConfig, `\n${includeLine}\n`);
}

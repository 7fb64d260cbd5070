import { readBackupInfo, type PhysicalBackup } from './readBackupInfo.ts';
import { runPgBackRest } from './runPgBackRest.ts';
import type { PgBackRestStanza } from './PhysicalBackupSetup.ts';

/** How far a running backup or restore is. */
export interface PhysicalBackupProgress {
  /** 0–100, by bytes, as pgBackRest reports it after each file. */
  percent: number;
  /** The file just copied. */
  file: string;
}

/**
 * A `--log-level-console=detail` line for one copied file: `backup file /path (768KB, 3.37%) checksum …`
 * (restore prints `restore file …` the same way). pgBackRest 2.45's `info` shows only that a backup
 * holds the lock; per-file progress in `info` came later (2.48), so the log line is the source.
 */
const FILE_PROGRESS = /(?:backup|restore) file (\S+) \([^,]+, ([\d.]+)%\)/;

/** Parses one pgBackRest output line into progress, or null when it is not a per-file line. */
export function parseProgressLine(line: string): PhysicalBackupProgress | null {
  const match = FILE_PROGRESS.exec(line);
  return match ? { file: match[1]!, percent: Number(match[2]) } : null;
}

/** Forwards the per-file lines of a run to `onProgress`. */
export function progressListener(onProgress?: (progress: PhysicalBackupProgress) => void): ((line: string) => void) | undefined {
  if (!onProgress) return undefined;
  return (line) => {
    const progress = parseProgressLine(line);
    if (progress) onProgress(progress);
  };
}

/** Creates the stanza in the repository (idempotent: a second run on the same cluster is a no-op). */
export async function createStanza(setup: PgBackRestStanza): Promise<void> {
  await runPgBackRest(setup, 'stanza-create');
}

/**
 * Checks the whole chain: the repository answers, the passphrase decrypts it, and PostgreSQL's
 * archive_command delivers WAL (pgBackRest switches a segment and waits for it in the archive).
 */
export async function checkStanza(setup: PgBackRestStanza): Promise<void> {
  await runPgBackRest(setup, 'check');
}

export interface TakeBackupOptions {
  /** full copies everything; diff what changed since the last full; incr since the last backup of any type. */
  type: 'full' | 'diff' | 'incr';
  onProgress?: (progress: PhysicalBackupProgress) => void;
}

/**
 * Takes an online backup and resolves with it as `info` lists it. pgBackRest turns an incr or diff with
 * no full to build on into a full (and says so); the returned `type` is what was actually taken.
 */
export async function takeBackup(setup: PgBackRestStanza, options: TakeBackupOptions): Promise<PhysicalBackup> {
  const output = await runPgBackRest(setup, 'backup', [`--type=${options.type}`], {
    consoleLevel: 'detail',
    onLine: progressListener(options.onProgress),
  });
  const label = /new backup label = (\S+)/.exec(output)?.[1];
  const backup = (await readBackupInfo(setup)).backups.find((candidate) => candidate.label === label);
  if (!backup) throw new Error(`pgBackRest reported backup ${label ?? '(no label)'} but info does not list it`);
  return backup;
}

/**
 * Expires one backup set and the backups that depend on it (incrementals built on it), with the WAL only they
 * needed. pgBackRest refuses to expire the newest full backup's chain when nothing newer exists.
 */
export async function expireBackup(setup: PgBackRestStanza, label: string): Promise<void> {
  await runPgBackRest(setup, 'expire', [`--set=${label}`]);
}

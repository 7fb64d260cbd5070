import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { findBackup } from '@shared/backup/backups.repo.ts';
import { startOperatorApp, type OperatorApp } from '../../../test/operatorApp.ts';
import { checkStored, startWriter, storedMessagesSql } from '../messageWriter.ts';
import { mountSmallFilesystem, type SmallFilesystem } from '../smallFilesystem.ts';
import type { DrillResult, Scenario } from '../scenario.ts';

/** The backup target's size: small enough to fill in a moment, large enough for a backup once emptied. */
const FILESYSTEM_BYTES = 8 * 1024 * 1024;
/** What the filler leaves free: less than any dump of the app's database takes. */
const LEFT_FREE_BYTES = 4096;

/** A backup as GET /api/dr/backups/:id shows it, as far as the drill looks. */
interface BackupView {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
}

/**
 * The store backups are written to (STORAGE_DIR, with BACKUP_STORAGE_DIR beside it) sits on a small
 * tmpfs that is filled up while a REST writer posts messages; a logical backup is started through the
 * API. It must fail cleanly (its row `failed`, the error naming the full disk, no file left under its
 * key nor half-written in the store), the writer must see no 500 and lose nothing, and once the space
 * is freed the next backup must succeed (verified).
 */
export const diskFull: Scenario = {
  id: 'disk-full',
  title: 'The backup target’s file system full during a backup',
  async setup() {
    const disk = await mountSmallFilesystem(FILESYSTEM_BYTES);
    try {
      const app = await startOperatorApp({
        env: {
          STORAGE_DIR: path.join(disk.directory, 'store'),
          BACKUP_STORAGE_DIR: path.join(disk.directory, 'backup-copy'),
          // Every backup kept: retention is not what this scenario is about.
          BACKUP_RETENTION: '1000b',
        },
      });
      return { drill: (drill) => runDrill(app, disk, drill), close: () => app.close().finally(() => disk.close()) };
    } catch (error) {
      await disk.close();
      throw error;
    }
  },
};

async function runDrill(app: OperatorApp, disk: SmallFilesystem, drill: number): Promise<DrillResult> {
  const violations: string[] = [];
  const label = `df${drill}${Date.now().toString(36)}`;
  const writer = startWriter({ baseUrl: app.baseUrl, conversationId: app.conversationId, headers: app.headers, label });
  try {
    await writer.waitForAcknowledged(10, 30_000);
    const leftFree = await disk.fill(LEFT_FREE_BYTES);
    const filledAt = Date.now();
    const failed = await backUp(app);
    const failedAfterMs = Date.now() - filledAt;
    if (failed.status !== 'failed') violations.push(`a backup onto a full disk ended ${failed.status}, not failed`);
    if (!/ENOSPC|no space/i.test(failed.error?.message ?? ''))
      violations.push(`the failed backup does not say the disk is full: ${JSON.stringify(failed.error)}`);
    // Nothing under the failed backup's key, and nothing half-written in the store's temp area.
    const failedKey = String((await findBackup(app.testApp.services.db, failed.id))?.storage_key);
    const leftovers = await filesUnder(path.join(disk.directory, 'store'), (relative) =>
      [failedKey, `.meta/${failedKey}`, '.tmp/'].some((prefix) => relative.startsWith(prefix)),
    );
    if (leftovers.length > 0) violations.push(`the failed backup left files behind: ${leftovers.join(', ')}`);
    await writer.waitForAcknowledged(writer.acknowledged.length + 10, 30_000);

    await disk.free();
    const freedAt = Date.now();
    const succeeded = await backUp(app);
    if (succeeded.status !== 'verified')
      violations.push(`the backup after the space was freed ended ${succeeded.status}: ${JSON.stringify(succeeded.error)}`);
    const recoveredMs = Date.now() - freedAt;
    await writer.waitForAcknowledged(writer.acknowledged.length + 10, 30_000);
    await writer.stop();

    const { rows } = await app.testApp.services.db.raw<{ rows: Array<{ content: string; copies: string }> }>(
      storedMessagesSql(app.conversationId, label),
    );
    const stored = checkStored(writer, rows);
    violations.push(...writer.unexpectedAnswers.map((answer) => `writer got ${answer.status} ${answer.code ?? ''} for ${answer.content}`));
    if (stored.duplicated.length > 0) violations.push(`messages stored twice: ${stored.duplicated.join(', ')}`);
    return {
      acknowledged: writer.acknowledged.length,
      lostAcknowledged: stored.lost.length,
      // One PostgreSQL server takes every write here.
      maxPrimaries: 1,
      operations: writer.operations(),
      violations,
      notes: {
        leftFreeBytes: leftFree,
        failedBackupError: failed.error?.message.slice(0, 160) ?? 'none',
        backupFailedAfterMs: failedAfterMs,
        backupAfterFreeingMs: recoveredMs,
        requests: JSON.stringify(writer.statusCounts()),
      },
    };
  } finally {
    await writer.stop();
    await disk.free();
  }
}

/** Starts a logical backup through the API and waits until it is no longer running or verifying. */
async function backUp(app: OperatorApp): Promise<BackupView> {
  const started = await fetch(`${app.baseUrl}/api/dr/backups`, {
    method: 'POST',
    headers: { ...app.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'logical' }),
  });
  const { data } = (await started.json()) as { data?: BackupView };
  if (started.status !== 202 || !data) throw new Error(`POST /api/dr/backups answered ${started.status}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${app.baseUrl}/api/dr/backups/${data.id}`, { headers: app.headers });
    const backup = ((await response.json()) as { data: BackupView }).data;
    if (!['running', 'verifying'].includes(backup.status)) return backup;
    if (Date.now() > deadline) throw new Error(`backup ${data.id} still ${backup.status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Paths (relative to `root`) of the files under it, in every subdirectory, whose relative path matches. */
async function filesUnder(root: string, matches: (relativePath: string) => boolean): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter(matches);
}

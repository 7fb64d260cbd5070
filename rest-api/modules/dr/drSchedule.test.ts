import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@shared/config.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import { createLogger } from '@shared/logger.ts';
import { createServices, type Services } from '@shared/services.ts';
import type { BackupRow } from '@shared/backup/backups.repo.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { TEST_JWT_SECRET } from '../../../test/http.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { createEmptyDatabase } from '../../../test/services.ts';
import { createApp } from '../../app.ts';
import { beginBackup } from './beginBackup.ts';
import { runBackup } from './runBackup.ts';

describe('BACKUP_SCHEDULE fires on its own: the backup is made, verified, and retention runs', () => {
  let services: Services;
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let storageDir: string;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-dr-schedule-'));
    const config = parseConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DATA_DIR: '/nonexistent-test-data-dir',
      DATABASE_URL: database.url,
      STORAGE_DIR: storageDir,
      // Every second (six fields); the job queue sends at most one job per slot of it.
      BACKUP_SCHEDULE: '* * * * * *',
      // Only the newest verified backup is kept: the scheduled one must prune the one made by hand.
      BACKUP_RETENTION: '1b',
    });
    const db = createDb(config, { inMemory: true });
    await migrateLatest(db);
    // Schedules are checked every second instead of pg-boss's 30, so the first occurrence is sent at once.
    services = await createServices(config, { db, migrate: false, log: createLogger(config), jobs: { cronIntervalSeconds: 1 } });
    // The app registers the backup queue and BACKUP_SCHEDULE, as `npm start` does.
    createApp(services);
  }, 60_000);

  afterAll(async () => {
    try {
      await services?.close();
    } finally {
      await database?.drop();
      await fs.rm(storageDir, { recursive: true, force: true });
    }
  });

  it('a scheduled backup appears, verifies, and the older verified backup is pruned', async () => {
    await writeUserWithConversations(services.db, 20);
    // A verified backup made by hand before the jobs start: the one retention must remove.
    const byHand = await beginBackup(services, { actorId: null, kind: 'logical' });
    expect((await runBackup(services, byHand.id))?.status).toBe('verified');

    await services.jobs.start();
    let scheduled: BackupRow | undefined;
    await waitUntil(
      'the scheduled backup to verify',
      async () => {
        scheduled = await services.db<BackupRow>('backups').whereNot({ id: byHand.id }).orderBy('started_at').first();
        expect(scheduled?.status ?? 'none').not.toBe('failed');
        return scheduled?.status === 'verified';
      },
      60_000,
    );
    expect(scheduled).toMatchObject({ kind: 'logical', created_by: null, verification: { ok: true } });
    expect(scheduled!.tables!.find((table) => table.name === 'conversations')!.rows).toBe(20);
    const audit = await services.db('audit_log').where({ action: 'backup.started', subject_id: scheduled!.id });
    expect(audit).toHaveLength(1);

    // Retention ran after the verification: the backup made by hand is gone, its object too.
    await waitUntil(
      'the older backup to be pruned',
      async () => (await services.db<BackupRow>('backups').where({ id: byHand.id }).first())?.status === 'deleted',
      30_000,
    );
    expect(await services.storage.head(byHand.storage_key)).toBeUndefined();
    expect(await services.storage.head(scheduled!.storage_key)).toMatchObject({ size: Number(scheduled!.bytes) });
    expect(await services.db('audit_log').where({ action: 'backup.pruned', subject_id: byHand.id })).toHaveLength(1);
  }, 120_000);
});

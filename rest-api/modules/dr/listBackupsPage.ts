import type { Knex } from 'knex';
import type { BackupRow } from '@shared/backup/backups.repo.ts';

/** A listed backup with its exact sort key: PostgreSQL keeps microseconds, which a Date would drop. */
export type ListedBackup = BackupRow & { started_key: string };

/** Backups newest first, `limit + 1` of them (the page and whether there is another), after the cursor's backup. */
export function listBackupsPage(db: Knex, page: { limit: number; after?: readonly [string, string] }): Promise<ListedBackup[]> {
  const query = db<BackupRow>('backups')
    .select('*', db.raw(`to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as started_key`))
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  if (page.after) void query.whereRaw('(started_at, id) < (?::timestamptz, ?::uuid)', [page.after[0], page.after[1]]);
  return query;
}

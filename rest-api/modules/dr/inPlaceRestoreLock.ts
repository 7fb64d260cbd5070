import pg from 'pg';
import type { Db } from '@shared/db.ts';

/**
 * While an in-place restore runs, its own session holds this PostgreSQL advisory lock. Every API node reads the lock
 * table to know the API is read-only: the state is shared through the database, survives the restore rewriting every
 * table, and ends with the session — when the restore ends, fails, or its process dies.
 */
const LOCK_KEY = [7126, 480_332] as const;

/** Takes the lock on a connection of its own; undefined when another in-place restore holds it. */
export async function holdInPlaceRestoreLock(databaseUrl: string): Promise<{ release(): Promise<void> } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'twinmcp-restore' });
  await client.connect();
  const { rows } = await client.query<{ taken: boolean }>('select pg_try_advisory_lock($1, $2) as taken', [...LOCK_KEY]);
  if (!rows[0]?.taken) {
    await client.end();
    return undefined;
  }
  return {
    release: async () => {
      await client.query('select pg_advisory_unlock($1, $2)', [...LOCK_KEY]).catch(() => {});
      await client.end();
    },
  };
}

/** True while an in-place restore holds the lock on this database. Reads pg_locks only: it never waits on a table lock. */
export async function isInPlaceRestoreRunning(db: Db): Promise<boolean> {
  const result = await db.raw<{ rows: Array<{ held: boolean }> }>(
    `select exists (
       select 1 from pg_locks
       where locktype = 'advisory' and classid = ? and objid = ? and objsubid = 2 and granted
         and database = (select oid from pg_database where datname = current_database())
     ) as held`,
    [...LOCK_KEY],
  );
  return Boolean(result.rows[0]?.held);
}

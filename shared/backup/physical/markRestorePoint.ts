import pg from 'pg';
import { readTableStats } from '../tableStats.ts';
import type { TableStat } from '../types.ts';
import { PhysicalBackupError } from './PhysicalBackupError.ts';

/** A named point in the WAL, and every table of the database exactly as it stood there. */
export interface RestorePoint {
  name: string;
  /** The WAL position of the restore point record. */
  lsn: string;
  /** Row count and sample checksum of every table at that point (see readTableStats). */
  tables: TableStat[];
  /** When the point was made (the database's clock). */
  at: Date;
}

export interface MarkRestorePointOptions {
  /** Longest wait for the WAL segment holding the point to reach the archive. Default 120 s. */
  archiveTimeoutMs?: number;
  /** Longest wait for writers to let go of the tables (a write stalls at most this long). Default 10 s. */
  lockTimeoutMs?: number;
  /** Tries before giving up when the tables stay locked past lockTimeoutMs. Default 3. */
  lockAttempts?: number;
}

/**
 * Makes a restore point right after a physical backup and records what every table holds there, so that a restore
 * to that point can be compared with it row count by row count, checksum by checksum.
 *
 * A physical backup is not a snapshot a client can read, but a restore point is exact when no table changes
 * around it: in one REPEATABLE READ transaction, inside a savepoint, every table is locked in SHARE mode (writers
 * wait; transactions already writing finish first), the snapshot is taken and the point written while the locks
 * are held, then the savepoint is rolled back, which lets the writers go at once. The snapshot stays for the rest of
 * the transaction, so the tables are counted as of the point while writes go on. Then the WAL segment is switched
 * and archived, so a restore can reach the point at once rather than after archive_timeout.
 *
 * The role of `databaseUrl` needs pg_create_restore_point and pg_switch_wal (a superuser, or granted both).
 */
export async function markRestorePoint(databaseUrl: string, name: string, options: MarkRestorePointOptions = {}): Promise<RestorePoint> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const query = async <T>(sql: string): Promise<T[]> => (await client.query(sql)).rows as T[];
    const tables = await query<{ relation: string }>(
      `select format('%I.%I', n.nspname, c.relname) as relation
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`,
    );
    const attempts = options.lockAttempts ?? 3;
    let point: { lsn: string; at: Date; tables: TableStat[] } | undefined;
    for (let attempt = 1; !point; attempt += 1) {
      try {
        point = await pointWithStats(query, tables, name, options.lockTimeoutMs ?? 10_000);
      } catch (error) {
        await query('rollback').catch(() => undefined);
        // 55P03 lock_not_available: a long writer held a table past lock_timeout; it lets go eventually.
        if ((error as { code?: string }).code !== '55P03' || attempt >= attempts) throw error;
      }
    }
    const [switched] = await query<{ segment: string }>('select pg_walfile_name(pg_switch_wal()) as segment');
    await waitForArchived(query, switched!.segment, options.archiveTimeoutMs ?? 120_000);
    return { name, lsn: point.lsn, tables: point.tables, at: point.at };
  } finally {
    await client.end();
  }
}

/** One try: locks, the point and the snapshot, the locks released, then the counts as of the point. */
async function pointWithStats(
  query: <T>(sql: string) => Promise<T[]>,
  tables: Array<{ relation: string }>,
  name: string,
  lockTimeoutMs: number,
): Promise<{ lsn: string; at: Date; tables: TableStat[] }> {
  await query('begin isolation level repeatable read');
  await query('savepoint before_locks');
  await query(`set local lock_timeout = ${Math.round(lockTimeoutMs)}`);
  if (tables.length > 0) await query(`lock table ${tables.map((table) => table.relation).join(', ')} in share mode`);
  // The transaction's snapshot is taken by this, its first query, while nobody can write.
  const [point] = await query<{ lsn: string; at: Date }>(
    `select pg_create_restore_point('${name.replaceAll("'", "''")}')::text as lsn, clock_timestamp() as at`,
  );
  await query('rollback to savepoint before_locks');
  const stats = await readTableStats(query);
  await query('commit');
  return { lsn: point!.lsn, at: point!.at, tables: stats };
}

/** Waits until PostgreSQL reports `segment` archived (archive_command returned: it is in the repository). */
async function waitForArchived(query: <T>(sql: string) => Promise<T[]>, segment: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [archiver] = await query<{ last: string | null }>('select last_archived_wal as last from pg_stat_archiver');
    if ((archiver?.last ?? '') >= segment) return;
    if (Date.now() > deadline) {
      throw new PhysicalBackupError(
        'backup_wal_archive_timeout',
        `WAL segment ${segment} was not archived within ${timeoutMs} ms: check archive_command (pg_stat_archiver)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

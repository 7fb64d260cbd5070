import type { Db } from '@shared/db.ts';
import { primaryResolverOf } from '@shared/db.ts';
import type { DatabaseStatus } from './failover.schemas.ts';

interface StandbyRow {
  name: string;
  address: string | null;
  state: string;
  sync_state: string;
  lag_bytes: string | null;
  lag_ms: number | null;
}

interface FailoverRow {
  old_primary: string;
  new_primary: string;
  reason: string;
  reported_by: string;
  detected_at: Date;
  resolved_at: Date;
  first_write_at: Date;
  fenced_at: Date | null;
  promoted_at: Date | null;
}

/**
 * What an operator needs to judge the database's high availability: which server takes writes, its
 * standbys with their lag and whether commits wait for them, and the last failover this deployment
 * recorded. Asked of the primary itself (pg_stat_replication), at the time of the request.
 */
export async function findDatabaseStatus(db: Db): Promise<DatabaseStatus> {
  const resolver = primaryResolverOf(db);
  const [server] = (
    await db.raw<{ rows: Array<{ host: string | null; port: number | null }> }>(
      'select host(inet_server_addr()) as host, inet_server_port() as port',
    )
  ).rows;
  const standbys = await db
    .raw<{ rows: StandbyRow[] }>(
      `select application_name as name, host(client_addr) as address, state, sync_state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text as lag_bytes,
              (extract(epoch from replay_lag) * 1000)::int as lag_ms
         from pg_stat_replication order by application_name`,
    )
    .then((result) => result.rows)
    // The embedded database has no replication to show.
    .catch(() => [] as StandbyRow[]);
  const [last] = await db<FailoverRow>('failover_events').orderBy('id', 'desc').limit(1);
  const known = resolver?.known;
  return {
    primary: {
      server: known ? `${known.host}:${known.port}` : server?.host ? `${server.host}:${server.port}` : null,
      isFollowing: resolver !== undefined,
      isFailingOver: resolver?.isSearching ?? false,
    },
    standbys: standbys.map((row) => ({
      name: row.name,
      address: row.address,
      state: row.state,
      synchronous: row.sync_state === 'sync' || row.sync_state === 'quorum',
      syncState: row.sync_state,
      lagBytes: row.lag_bytes === null ? null : Number(row.lag_bytes),
      lagMs: row.lag_ms,
    })),
    lastFailover: last
      ? {
          oldPrimary: last.old_primary,
          newPrimary: last.new_primary,
          reason: last.reason,
          reportedBy: last.reported_by,
          detectedAt: last.detected_at.toISOString(),
          resolvedAt: last.resolved_at.toISOString(),
          firstWriteAt: last.first_write_at.toISOString(),
          writeGapMs: last.first_write_at.getTime() - last.detected_at.getTime(),
          fencedAt: last.fenced_at?.toISOString() ?? null,
          promotedAt: last.promoted_at?.toISOString() ?? null,
        }
      : null,
  };
}

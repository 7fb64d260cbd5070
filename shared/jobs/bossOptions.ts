import type { Knex } from 'knex';
import type { ConstructorOptions, SendOptions } from 'pg-boss';
import type { QueueDefinition } from './defineQueue.ts';
import { JOBS_SCHEMA } from './jobOverview.ts';
import { pgliteViaKnex } from './pgliteViaKnex.ts';
import { primaryResolverOf } from '../db.ts';
import { primaryFollowingClient } from '../failover/followPrimary.ts';

/** Connections pg-boss may hold on PostgreSQL besides the app's pool, plus one for LISTEN. */
const BOSS_POOL_MAX = 4;
/** Backstop polling; NOTIFY wakes workers at once, but retries and deferred jobs are never notified. */
const POLLING_INTERVAL_SECONDS = 1;

/** How each worker fetches: one job at a time, with metadata (its retry limit tells the last attempt). */
export const WORK_OPTIONS = {
  includeMetadata: true as const,
  batchSize: 1,
  pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
  // pg-boss's default is 30 s, which is also how late a retry would start (shared/notes/jobs-on-pglite.md, trap 3).
  notifyPollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
};

/**
 * pg-boss's constructor options: its own small pool on PostgreSQL; on PGlite, knex's one connection.
 * `superviseSeconds` is how often expired jobs (their process died) are looked for.
 */
export function bossOptions(db: Knex, databaseUrl: string | undefined, superviseSeconds: number): ConstructorOptions {
  const common: ConstructorOptions = {
    schema: JOBS_SCHEMA,
    useListenNotify: true,
    // No cron here: it would add timers and an internal queue for nothing.
    schedule: false,
    // Expired jobs are looked for in the monitor step of a supervise pass, which runs at most once per
    // monitor interval (default 60 s): both set, or a dead process's job waits a minute longer.
    superviseIntervalSeconds: superviseSeconds,
    monitorIntervalSeconds: superviseSeconds,
    instanceName: 'twinmcp',
  };
  const resolver = primaryResolverOf(db);
  if (databaseUrl && resolver) {
    // Several servers: pg-boss's pool connects wherever the app's pool does. Its LISTEN connection is a
    // plain pg.Client we cannot steer, so it polls instead (every POLLING_INTERVAL_SECONDS).
    const { url, connectTimeoutMs } = resolver.options;
    return {
      ...common,
      useListenNotify: false,
      connectionString: url.urlFor(url.hosts[0]!),
      Client: primaryFollowingClient(resolver),
      connectionTimeoutMillis: connectTimeoutMs,
      max: BOSS_POOL_MAX,
      application_name: 'twinmcp-jobs',
    } as ConstructorOptions;
  }
  if (databaseUrl) return { ...common, connectionString: databaseUrl, max: BOSS_POOL_MAX, application_name: 'twinmcp-jobs' };
  return { ...common, db: pgliteViaKnex(db), backend: 'pglite' };
}

/** The retry and lease settings pg-boss keeps on the queue and on each of its jobs. */
export function queueOptions(queue: QueueDefinition): SendOptions {
  const retryDelay = queue.retryDelaySeconds ?? 2;
  return {
    retryLimit: queue.retryLimit ?? 3,
    retryDelay,
    // Exponential backoff needs a first delay; a queue asking for none retries at once (and has no maximum).
    ...(retryDelay > 0 ? { retryBackoff: true, retryDelayMax: queue.retryDelayMaxSeconds ?? 300 } : { retryBackoff: false }),
    ...(queue.heartbeatSeconds ? { heartbeatSeconds: queue.heartbeatSeconds } : { expireInSeconds: queue.expireInSeconds }),
  };
}

import type { Config } from '@shared/config.ts';
import { writeAudit } from '@shared/audit.ts';
import { primaryResolverOf, type Db } from '@shared/db.ts';
import { UnavailableError } from '@shared/errors.ts';
import { AutoFailoverMonitor, type MonitorNode } from '@shared/failover/AutoFailoverMonitor.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';
import type { DatabaseHost } from '@shared/failover/parseDatabaseUrl.ts';
import type { PrimaryResolver } from '@shared/failover/PrimaryResolver.ts';
import { REPORTER } from '@shared/failover/recordFailovers.ts';
import type { Logger } from '@shared/logger.ts';
import { chooseSwitchoverTarget } from './chooseSwitchoverTarget.ts';
import { SwitchoverError } from './SwitchoverError.ts';
import type { Switchover } from './failover.schemas.ts';

interface Props {
  /** The database the product writes to; its pool must follow the primary (a multi-host DATABASE_URL). */
  db: Db;
  config: Pick<Config, 'DATABASE_MONITOR_URL' | 'DATABASE_FORMATION' | 'DATABASE_SWITCHOVER_TIMEOUT_MS'>;
  log: Logger;
  /** The operator asking. */
  actorId: string;
  /** The standby to promote (node name or host:port); the monitor's best candidate when absent. */
  target?: string;
  ip?: string;
}

/** Pause between two attempts at the first write on the new primary. */
const WRITE_RETRY_MS = 100;
/** States of an old primary that no longer takes writes, as the monitor's events name them. */
const FENCED_STATES = new Set(['draining', 'demote_timeout', 'demoted', 'catchingup', 'secondary']);
/** Processes running a switchover now; one at a time per process (the monitor refuses overlapping ones across processes). */
const running = new WeakSet<Db>();

/**
 * A planned switchover with RPO 0, through the pg_auto_failover monitor (never a promotion of our own):
 * the monitor drains the primary, waits until the synchronous standby has every commit, promotes it and
 * turns the old primary into its standby. This waits until a write through the product's own pool is
 * accepted on the new primary — that write is the `failover_events` row (reason `switchover`), with the
 * monitor's milestones — so when it answers, the product writes to the new primary.
 */
export async function performSwitchover({ db, config, log, actorId, target, ip }: Props): Promise<Switchover> {
  const resolver = primaryResolverOf(db);
  if (!config.DATABASE_MONITOR_URL || !resolver)
    throw new SwitchoverError(
      'switchover_unavailable',
      'Planned switchovers need DATABASE_MONITOR_URL (the pg_auto_failover monitor) and a DATABASE_URL naming every data node',
    );
  if (running.has(db)) throw new SwitchoverError('switchover_in_progress', 'A switchover is already running');
  running.add(db);
  try {
    const monitor = new AutoFailoverMonitor(config.DATABASE_MONITOR_URL, config.DATABASE_FORMATION);
    const { primary, standby } = chooseSwitchoverTarget(await askMonitor(() => monitor.nodes()), target);
    const oldServer = await resolver.primary();
    const requestedAt = new Date();
    log.warn({ from: primary.name, to: standby.name, actorId }, 'planned switchover requested');
    resolver.isSwitchingOver = true;
    await askMonitor(() => monitor.promote(standby.name));
    const { newServer, resolvedAt, firstWriteAt } = await writeOnNewPrimary({ db, resolver, oldServer, requestedAt, config });
    const milestones = await milestonesOf(monitor, requestedAt, primary, standby).catch(() => ({ fencedAt: null, promotedAt: null }));
    await recordSwitchover(db, {
      oldServer,
      newServer,
      requestedAt,
      resolvedAt,
      firstWriteAt,
      ...milestones,
      actorId,
      ip,
      primary,
      standby,
    });
    const durationMs = firstWriteAt.getTime() - requestedAt.getTime();
    log.warn({ from: primary.name, to: standby.name, durationMs }, 'planned switchover done');
    return {
      oldPrimary: describe(oldServer),
      newPrimary: describe(newServer),
      oldNode: primary.name,
      newNode: standby.name,
      requestedAt: requestedAt.toISOString(),
      fencedAt: milestones.fencedAt?.toISOString() ?? null,
      promotedAt: milestones.promotedAt?.toISOString() ?? null,
      firstWriteAt: firstWriteAt.toISOString(),
      durationMs,
    };
  } finally {
    resolver.isSwitchingOver = false;
    running.delete(db);
  }
}

/** Runs one call on the monitor; a monitor that cannot be reached is a 503, a refusal of its own a 409 with its words. */
async function askMonitor<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SwitchoverError) throw error;
    const { code, message } = error as { code?: string; message?: string };
    // A PostgreSQL error (SQLSTATE) is the monitor refusing; anything else is not reaching it.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57'))
      throw new SwitchoverError('switchover_refused', `The monitor refused: ${message ?? code}`);
    throw new UnavailableError('monitor_unreachable', 'The pg_auto_failover monitor does not answer', 5);
  }
}

/**
 * Waits until the pool's writable server is another than `oldServer` and a write there commits. A
 * server only counts once the resolver moved to it: the old primary may take writes for a moment after
 * the request (until the monitor drains it), and those are not the new primary's.
 */
async function writeOnNewPrimary(props: {
  db: Db;
  resolver: PrimaryResolver;
  oldServer: DatabaseHost;
  requestedAt: Date;
  config: Props['config'];
}): Promise<{ newServer: DatabaseHost; resolvedAt: Date; firstWriteAt: Date }> {
  const { db, resolver, oldServer } = props;
  const deadline = props.requestedAt.getTime() + props.config.DATABASE_SWITCHOVER_TIMEOUT_MS;
  let resolvedAt: Date | undefined;
  const onPrimary = (server: DatabaseHost) => {
    if (describe(server) !== describe(oldServer)) resolvedAt ??= new Date();
  };
  resolver.on('primary', onPrimary);
  try {
    for (;;) {
      const server = await db
        .transaction(async (trx) => {
          await trx.raw('select 1');
          const serving = resolver.known;
          if (!serving || describe(serving) === describe(oldServer)) return undefined;
          // A write, so "accepted" means a read-write session on it, not only a reachable server.
          await trx.raw('select txid_current()');
          return serving;
        })
        .catch((error: unknown) => {
          if (isFailoverError(error)) return undefined;
          throw error;
        });
      if (server) return { newServer: server, resolvedAt: resolvedAt ?? new Date(), firstWriteAt: new Date() };
      if (Date.now() > deadline)
        throw new SwitchoverError(
          'switchover_timeout',
          'The monitor was asked to switch over, but writes were not accepted on a new primary in time; see GET /api/dr/status',
        );
      await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_MS));
    }
  } finally {
    resolver.off('primary', onPrimary);
  }
}

/** When the monitor saw the old primary stop taking writes, and the standby become primary. */
async function milestonesOf(monitor: AutoFailoverMonitor, since: Date, primary: MonitorNode, standby: MonitorNode) {
  const events = await monitor.events(since);
  const fenced = events.find((event) => event.node === primary.name && FENCED_STATES.has(event.reportedState));
  const promoted = events.find((event) => event.node === standby.name && ['wait_primary', 'primary'].includes(event.reportedState));
  return { fencedAt: fenced?.at ?? null, promotedAt: promoted?.at ?? null };
}

/** The switchover's failover_events row and its audit row, in one transaction on the new primary. */
async function recordSwitchover(
  db: Db,
  props: {
    oldServer: DatabaseHost;
    newServer: DatabaseHost;
    requestedAt: Date;
    resolvedAt: Date;
    firstWriteAt: Date;
    fencedAt: Date | null;
    promotedAt: Date | null;
    actorId: string;
    ip?: string;
    primary: MonitorNode;
    standby: MonitorNode;
  },
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('failover_events').insert({
      old_primary: describe(props.oldServer),
      new_primary: describe(props.newServer),
      reason: 'switchover',
      reported_by: REPORTER,
      detected_at: props.requestedAt,
      resolved_at: props.resolvedAt,
      fenced_at: props.fencedAt,
      promoted_at: props.promotedAt,
      first_write_at: props.firstWriteAt,
    });
    await writeAudit(trx, {
      actorId: props.actorId,
      action: 'database.switchover',
      subjectType: 'database',
      subjectId: props.standby.name,
      ip: props.ip,
      data: { from: props.primary.name, to: props.standby.name },
    });
  });
}

function describe(server: DatabaseHost): string {
  return `${server.host}:${server.port}`;
}

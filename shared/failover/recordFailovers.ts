import os from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import type { DatabaseHost } from './parseDatabaseUrl.ts';
import type { PrimaryResolver } from './PrimaryResolver.ts';

/** Who writes the row: one line per server process. */
export const REPORTER = `${os.hostname()}:${process.pid}`;

/**
 * Writes a `failover_events` row each time the resolver lost its primary and found a writable server
 * again. The insert is this process's first write through the new primary, so its commit time is the
 * moment writes were accepted again here. A row that cannot be written is only logged: the record must
 * never stand in the way of the service it records.
 */
export function recordFailovers(db: Knex, resolver: PrimaryResolver, log: Logger): void {
  let lost: { at: Date; from: DatabaseHost; reason: string } | undefined;
  resolver.on('lost', (reason: string, from: DatabaseHost) => {
    if (!resolver.isSwitchingOver) lost ??= { at: new Date(), from, reason };
  });
  resolver.on('primary', (primary: DatabaseHost) => {
    if (!lost) return;
    const { at, from, reason } = lost;
    lost = undefined;
    db('failover_events')
      .insert({
        old_primary: `${from.host}:${from.port}`,
        new_primary: `${primary.host}:${primary.port}`,
        reason: reason.slice(0, 500),
        reported_by: REPORTER,
        detected_at: at,
        resolved_at: new Date(),
      })
      .catch((error: unknown) => log.warn({ err: error }, 'failover not recorded'));
  });
}

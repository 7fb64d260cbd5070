import { Gauge, type Registry } from 'prom-client';
import { primaryResolverOf } from '@shared/db.ts';
import type { Services } from '@shared/services.ts';
import { findDatabaseStatus } from './findDatabaseStatus.ts';

/**
 * Gauges read at scrape time: which server this process writes to (`database_primary{server}` 1), whether
 * it is looking for one, and each standby's replication lag as the primary reports it. A scrape that
 * cannot reach the database leaves those out rather than failing /metrics.
 */
export function registerFailoverMetrics(registry: Registry, services: Pick<Services, 'db'>): void {
  const lag = new Gauge({
    name: 'database_replication_lag_bytes',
    help: 'WAL written on the primary and not yet replayed on each standby, as pg_stat_replication has it',
    labelNames: ['standby'],
    registers: [registry],
  });
  new Gauge({
    name: 'database_primary',
    help: 'The database server this process writes to (1), by host:port (address)',
    labelNames: ['address'],
    registers: [registry],
    async collect() {
      this.reset();
      lag.reset();
      const status = await findDatabaseStatus(services.db).catch(() => undefined);
      if (status?.primary.server) this.set({ address: status.primary.server }, 1);
      for (const standby of status?.standbys ?? []) lag.set({ standby: standby.name }, standby.lagBytes ?? 0);
    },
  });
  new Gauge({
    name: 'database_failover_in_progress',
    help: '1 while this process is looking for the writable database server',
    registers: [registry],
    collect() {
      this.set(primaryResolverOf(services.db)?.isSearching ? 1 : 0);
    },
  });
}

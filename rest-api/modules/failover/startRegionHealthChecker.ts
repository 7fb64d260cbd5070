import { parseDatabaseUrl } from '@shared/failover/parseDatabaseUrl.ts';
import type { Services } from '@shared/services.ts';
import { RegionHealthChecker } from './RegionHealthChecker.ts';

/** Longest one probe may take: short, so a dead region costs a round little; never longer than a round. */
const MAX_PROBE_TIMEOUT_MS = 2_000;

/**
 * Starts checking the regions of REGIONS when there are any, until the services close (the checker's
 * timer and its last write end before the database pool does). Returns undefined for a single region.
 */
export function startRegionHealthChecker(
  services: Pick<Services, 'config' | 'db' | 'log' | 'beforeClose'>,
): RegionHealthChecker | undefined {
  const { config } = services;
  if (config.REGIONS.length === 0) return undefined;
  const databaseUrl = config.DATABASE_URL ? parseDatabaseUrl(config.DATABASE_URL) : undefined;
  const checker = new RegionHealthChecker({
    regions: config.REGIONS,
    intervalMs: config.REGION_CHECK_MS,
    timeoutMs: Math.min(MAX_PROBE_TIMEOUT_MS, config.REGION_CHECK_MS, config.DATABASE_CONNECT_TIMEOUT_MS),
    databaseUrlFor: databaseUrl
      ? (hostAndPort) => {
          const separator = hostAndPort.lastIndexOf(':');
          const host = hostAndPort.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
          return databaseUrl.urlFor({ host, port: Number(hostAndPort.slice(separator + 1)) });
        }
      : undefined,
    db: services.db,
    log: services.log.child({ module: 'regions' }),
  });
  checker.start();
  services.beforeClose(() => checker.stop());
  return checker;
}

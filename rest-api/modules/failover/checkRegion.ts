import type { RegionConfig } from '@shared/config.ts';
import { probeDatabaseServer, type ServerRole } from '@shared/failover/probeDatabaseServer.ts';

/** One component's check: whether it answered as it should, how long it took, and what it said. */
export interface ComponentCheck {
  ok: boolean;
  latencyMs: number;
  /** `HTTP 200`, `ECONNREFUSED`, `writable`, `standby`… never a credential. */
  detail: string;
}

/** A region's API and database as one round of checks found them. */
export interface RegionProbe {
  region: RegionConfig;
  /** GET <apiUrl>/readyz; `reachable` is false when no HTTP answer came at all. */
  api: ComponentCheck & { isReachable: boolean };
  /** The region's PostgreSQL node; null when the region names none (or the product has no DATABASE_URL). */
  database: (ComponentCheck & { role: ServerRole }) | null;
  checkedAt: Date;
}

/**
 * Checks one region, both components at once, each bounded by `timeoutMs`. `databaseUrlFor` turns the
 * region's host:port into a connection string with the product's own credentials.
 */
export async function checkRegion(
  region: RegionConfig,
  options: { timeoutMs: number; databaseUrlFor?: (hostAndPort: string) => string },
): Promise<RegionProbe> {
  const { databaseUrlFor } = options;
  const [api, database] = await Promise.all([
    checkApi(region.apiUrl, options.timeoutMs),
    region.databaseHost && databaseUrlFor ? checkDatabase(databaseUrlFor(region.databaseHost), options.timeoutMs) : null,
  ]);
  return { region, api, database, checkedAt: new Date() };
}

async function checkApi(apiUrl: string, timeoutMs: number): Promise<RegionProbe['api']> {
  const startedAt = performance.now();
  try {
    const response = await fetch(new URL('/readyz', apiUrl), { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    return { ok: response.ok, isReachable: true, latencyMs: elapsed(startedAt), detail: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, isReachable: false, latencyMs: elapsed(startedAt), detail: describeFailure(error) };
  }
}

async function checkDatabase(connectionString: string, timeoutMs: number): Promise<NonNullable<RegionProbe['database']>> {
  const startedAt = performance.now();
  const role = await probeDatabaseServer(connectionString, timeoutMs);
  return { ok: role !== 'unreachable', role, latencyMs: elapsed(startedAt), detail: role };
}

const elapsed = (startedAt: number) => Math.round(performance.now() - startedAt);

/** fetch wraps the socket's error: its code (ECONNREFUSED) says more than "fetch failed". */
function describeFailure(error: unknown): string {
  const { name, cause } = error as { name?: string; cause?: { code?: string } };
  if (name === 'TimeoutError') return 'timeout';
  return cause?.code ?? name ?? 'error';
}

import type { RegionProbe } from './checkRegion.ts';

/** A region's standing for a client choosing where to go. */
export type RegionStatus = 'healthy' | 'degraded' | 'down' | 'unknown';
export type RegionRole = 'primary' | 'standby' | 'unknown';

/** A probe with what it means: the region's status and database role. */
export interface JudgedRegion extends RegionProbe {
  status: RegionStatus;
  role: RegionRole;
}

/**
 * Reads one round of probes. A region is `down` when its API gave no HTTP answer (a client cannot use
 * it), `degraded` when the API answered but is not ready or the region's database node does not answer
 * (its API still serves, through the primary elsewhere), `healthy` otherwise. The primary region is the
 * one whose node takes writes — only when exactly one does, as the product's pools decide (two writable
 * nodes at once is a failover not finished, and neither is named).
 */
export function judgeRegions(probes: RegionProbe[]): JudgedRegion[] {
  const writable = probes.filter((probe) => probe.database?.role === 'writable');
  return probes.map((probe) => {
    const role = probe.database?.role;
    return {
      ...probe,
      status: !probe.api.isReachable ? 'down' : probe.api.ok && (probe.database?.ok ?? true) ? 'healthy' : 'degraded',
      role: role === 'writable' && writable.length === 1 ? 'primary' : role === 'standby' || role === 'read_only' ? 'standby' : 'unknown',
    };
  });
}

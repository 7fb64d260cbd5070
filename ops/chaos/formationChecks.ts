import type { AutoFailoverCluster, AutoFailoverNode } from '../../test/autoFailoverCluster.ts';

/** What GET /api/dr/status shows of a failover, as far as the drills check it. */
export interface DrStatus {
  primary: { server: string };
  standbys: Array<{ synchronous: boolean; state: string }>;
  lastFailover: { oldPrimary: string; newPrimary: string; writeGapMs: number } | null;
}

/** GET /api/dr/status until it shows the failover to `newPrimary` (its row is written just after the first write). */
export async function waitForRecordedFailover(
  baseUrl: string,
  headers: Record<string, string>,
  newPrimary: string,
  isReady: (status: DrStatus) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<DrStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/api/dr/status`, { headers });
    const { data } = (await response.json()) as { data: DrStatus };
    if (data.lastFailover?.newPrimary === newPrimary && isReady(data)) return data;
    if (Date.now() > deadline) throw new Error(`/api/dr/status never showed the failover to ${newPrimary}: ${JSON.stringify(data)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The node the monitor has as primary, once its standby is a synchronous secondary again. */
export async function waitForPrimaryWithStandby(cluster: AutoFailoverCluster, timeoutMs = 120_000): Promise<AutoFailoverNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await cluster.states();
    const primary = states.find((state) => state.reportedState === 'primary' && state.goalState === 'primary');
    const isStandbyReady = states.some((state) => state.reportedState === 'secondary' && state.goalState === 'secondary');
    if (primary && isStandbyReady) return cluster.nodes.find((node) => node.name === primary.name)!;
    if (Date.now() > deadline) throw new Error(`no primary with a secondary: ${JSON.stringify(states)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** States the monitor assigns to a primary it gave up on. */
const GIVEN_UP = new Set(['draining', 'demote_timeout', 'demoted']);
/** States of a standby on its way to primary. */
const PROMOTING = new Set(['prepare_promotion', 'stop_replication']);

/**
 * Detection and promotion times from the monitor's event log, in ms after `faultAt`: detection is the
 * first event in which the monitor gives up on the victim or starts promoting the survivor; promotion is
 * the survivor reporting `wait_primary` (or `primary`): it takes writes from then on.
 */
export async function monitorTimings(
  cluster: AutoFailoverCluster,
  victim: AutoFailoverNode,
  survivor: AutoFailoverNode,
  faultAt: number,
): Promise<{ detectionMs?: number; promotionMs?: number; events: string[] }> {
  const events = await cluster.events(faultAt - 1_000);
  const after = events.filter((event) => event.at.getTime() >= faultAt);
  const detected = after.find(
    (event) =>
      (event.node === victim.name && GIVEN_UP.has(event.goalState)) || (event.node === survivor.name && PROMOTING.has(event.goalState)),
  );
  const promoted = after.find((event) => event.node === survivor.name && ['wait_primary', 'primary'].includes(event.reportedState));
  return {
    detectionMs: detected ? detected.at.getTime() - faultAt : undefined,
    promotionMs: promoted ? promoted.at.getTime() - faultAt : undefined,
    events: events.map((event) => `+${event.at.getTime() - faultAt} ms ${event.node} ${event.reportedState} → ${event.goalState}`),
  };
}

/**
 * A read on a node, asked again until it answers (for 30 s): each try is a fresh connection with a 2 s
 * query timeout, which a node just promoted on a loaded machine can miss. What a drill checks is what the
 * node holds, not how fast it answers. Reads only: a write must not be sent twice.
 */
export async function readUntilAnswered<Row extends object>(
  cluster: AutoFailoverCluster,
  node: AutoFailoverNode,
  sql: string,
): Promise<Row[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await cluster.query<Row>(node, sql);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

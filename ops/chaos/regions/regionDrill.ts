import crypto from 'node:crypto';
import { readUntilAnswered } from '../formationChecks.ts';
import type { PrimaryWatch } from '../primaryWatch.ts';
import type { DrillResult } from '../scenario.ts';
import type { AutoFailoverCluster, AutoFailoverNode } from '../../../test/autoFailoverCluster.ts';
import type { RegionTypist } from './regionTypist.ts';
import { editOperations, typistNotes } from './regionTypists.ts';
import { startRegionWriter, type AcknowledgedWrite, type RegionWriter } from './regionWriter.ts';
import type { RegionRig, RegionSite } from './startRegionRig.ts';

/** pg_auto_failover will not fail over in the first 10 s after its monitor starts (startup_grace_period). */
const MONITOR_GRACE_MS = 11_000;

/** One writer per region, each homed on its region's API and free to move to another's. */
export function startWritersInEveryRegion(rig: RegionRig, label: string): RegionWriter[] {
  const regions = rig.sites.map((site) => ({ name: site.name, apiUrl: site.apiUrl }));
  return rig.sites.map((site) =>
    startRegionWriter({
      home: site.name,
      regions,
      conversationId: rig.conversationId,
      headers: rig.headers,
      label: `${label}-${site.name}`,
    }),
  );
}

/** A label no earlier drill used, so that a drill only ever counts its own messages. */
export const drillLabel = (scenario: string, drill: number) => `${scenario}${drill}-${crypto.randomBytes(2).toString('hex')}`;

/** Waits until the formation is whole again and the monitor is past its start-up grace. */
export async function waitUntilReadyForFault(rig: RegionRig): Promise<RegionSite> {
  await rig.waitForFormation();
  const graceLeft = rig.readyAt + MONITOR_GRACE_MS - Date.now();
  if (graceLeft > 0) await new Promise((resolve) => setTimeout(resolve, graceLeft));
  // On a loaded machine one connection to the monitor can miss its 2 s timeout: ask again (for 30 s) rather than break the rig.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await rig.primarySite();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The acknowledged writes (of messages labelled `label`-…) that the node does not hold. */
export async function lostOn(
  cluster: AutoFailoverCluster,
  node: AutoFailoverNode,
  conversationId: string,
  label: string,
  acknowledged: AcknowledgedWrite[],
): Promise<string[]> {
  const rows = await readUntilAnswered<{ content: string }>(
    cluster,
    node,
    `select content from messages where conversation_id = '${conversationId}' and content like '${label}-%'`,
  );
  const stored = new Set(rows.map((row) => row.content));
  return acknowledged.map((write) => write.content).filter((content) => !stored.has(content));
}

/**
 * What the monitor recorded after the fault: its first event about the lost node (detection) and the
 * first time another node reported itself wait_primary or primary (promotion), in ms from the fault.
 */
export async function monitorTimeline(
  cluster: AutoFailoverCluster,
  faultAt: number,
  victim: AutoFailoverNode,
): Promise<{ detectionMs?: number; promotionMs?: number; promotedNode?: string; events: string[] }> {
  const events = (await cluster.events(faultAt - 1_000)).filter((event) => event.at.getTime() >= faultAt);
  const detected = events.find((event) => event.node === victim.name);
  const promoted = events.find((event) => event.node !== victim.name && ['wait_primary', 'primary'].includes(event.reportedState));
  return {
    detectionMs: detected ? detected.at.getTime() - faultAt : undefined,
    promotionMs: promoted ? promoted.at.getTime() - faultAt : undefined,
    promotedNode: promoted?.node,
    events: events.map((event) => `+${event.at.getTime() - faultAt} ms ${event.node} ${event.reportedState} → ${event.goalState}`),
  };
}

/**
 * The first write acknowledged through a region other than `lost` and sent once the fault was in effect
 * (`inEffectAt`: the cut or kill command had returned — writes sent while it ran may still have gone
 * through), in ms from the moment the fault was started (`faultAt`).
 */
export function firstWriteElsewhereMs(writers: RegionWriter[], faultAt: number, lost: string, inEffectAt: number): number | undefined {
  const times = writers
    .flatMap((writer) => writer.acknowledged)
    .filter((write) => write.sentAt >= inEffectAt && write.region !== lost)
    .map((write) => write.answeredAt - faultAt);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Waits until every writer has `more` acknowledged writes beyond what it has now. */
export async function waitForMoreWrites(writers: RegionWriter[], more: number, timeoutMs: number): Promise<void> {
  await Promise.all(writers.map((writer) => writer.waitForAcknowledged(writer.acknowledged.length + more, timeoutMs)));
}

/** The writers' operations, added up. */
export function operationsOf(writers: RegionWriter[]): { attempted: number; succeeded: number } {
  return {
    attempted: writers.reduce((sum, writer) => sum + writer.operations.attempted, 0),
    succeeded: writers.reduce((sum, writer) => sum + writer.operations.succeeded, 0),
  };
}

/**
 * Polls the primary until the node's standby connection is streaming with nothing left to replay, and
 * resolves with that moment (ms epoch).
 */
export async function waitForZeroLag(
  cluster: AutoFailoverCluster,
  primary: AutoFailoverNode,
  standby: AutoFailoverNode,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await cluster
      .query<{ lag: string | null }>(
        primary,
        `select pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text as lag from pg_stat_replication
          where client_addr = '${standby.host}' and state = 'streaming'`,
      )
      .catch(() => []);
    if (rows.length > 0 && rows[0]!.lag !== null && Number(rows[0]!.lag) <= 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${standby.name} did not catch up with ${primary.name} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The node that takes writes, asked directly (the monitor's row for a lost primary still says
 * `primary` until that node reports again). Waits for one, up to `timeoutMs`.
 */
export async function writableNode(cluster: AutoFailoverCluster, besides: AutoFailoverNode, timeoutMs = 30_000): Promise<AutoFailoverNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const candidates = cluster.nodes.filter((node) => node !== besides);
    const roles = await Promise.all(candidates.map((node) => cluster.role(node)));
    const writable = candidates.find((_, index) => roles[index] === 'writable');
    if (writable) return writable;
    if (Date.now() > deadline) throw new Error(`no writable node besides ${besides.name}: ${JSON.stringify(roles)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The result of a drill that lost the primary's region, once its writers and typists stopped: the
 * figures region-kill and region-rejoin share. Messages and edits count alike (acknowledged, lost,
 * operations); `firstWriteMs` stays the messages' figure and the edits' is a note. `extraViolations`
 * and `notes` are the scenario's own.
 */
export function lostRegionResult(drill: {
  rig: RegionRig;
  writers: RegionWriter[];
  typists: RegionTypist[];
  watch: PrimaryWatch;
  timeline: { detectionMs?: number; promotionMs?: number };
  victim: RegionSite;
  faultAt: number;
  inEffectAt: number;
  acknowledged: AcknowledgedWrite[];
  lost: string[];
  /** Acknowledged edits (markers) missing from the draft on the final primary. */
  lostEdits: string[];
  /** Edits never acknowledged, described (regionTypists.ts › stopTypists). */
  typistFailures: string[];
  extraViolations?: string[];
  notes: Record<string, number | string | boolean>;
}): DrillResult {
  const { rig, writers, typists, watch, lost, lostEdits } = drill;
  const serverErrors = rig.serverErrors();
  const messages = operationsOf(writers);
  const edits = editOperations(typists);
  return {
    detectionMs: drill.timeline.detectionMs,
    promotionMs: drill.timeline.promotionMs,
    firstWriteMs: firstWriteElsewhereMs(writers, drill.faultAt, drill.victim.name, drill.inEffectAt),
    acknowledged: drill.acknowledged.length + edits.succeeded,
    lostAcknowledged: lost.length + lostEdits.length,
    maxPrimaries: watch.doublePrimaryRounds > 0 ? 2 : 1,
    operations: { attempted: messages.attempted + edits.attempted, succeeded: messages.succeeded + edits.succeeded },
    violations: [
      ...writers.flatMap((writer) => writer.unexpectedAnswers),
      ...lost.map((content) => `acknowledged and lost: ${content}`),
      ...lostEdits.map((marker) => `acknowledged edit lost: ${marker}`),
      ...drill.typistFailures,
      ...(watch.doublePrimaryRounds > 0 ? [`${watch.doublePrimaryRounds} probe rounds saw two writable nodes`] : []),
      ...(drill.extraViolations ?? []),
    ],
    notes: {
      messagesAcknowledged: drill.acknowledged.length,
      ...typistNotes(typists, drill.faultAt, drill.inEffectAt),
      ...drill.notes,
      ...(serverErrors.length > 0 ? { serverErrors: serverErrors.slice(-5).join('\n') } : {}),
    },
  };
}

import { AUTO_FAILOVER_DATABASE } from '../../../test/autoFailoverCluster.ts';
import { watchPrimaries } from '../primaryWatch.ts';
import {
  drillLabel,
  firstWriteElsewhereMs,
  lostOn,
  monitorTimeline,
  operationsOf,
  waitForMoreWrites,
  waitUntilReadyForFault,
  writableNode,
} from '../regions/regionDrill.ts';
import type { RegionTypist } from '../regions/regionTypist.ts';
import {
  editOperations,
  lostEditsOn,
  startTypistsInEveryRegion,
  stopTypists,
  typistNotes,
  waitForMoreEdits,
} from '../regions/regionTypists.ts';
import { startRegionWriter } from '../regions/regionWriter.ts';
import { startInsideRegionClient } from '../regions/startInsideRegionClient.ts';
import { onRegionRig } from '../regions/startRegionRig.ts';
import type { Scenario } from '../scenario.ts';

/**
 * Issue 14, scenario 3: the primary's region is cut off with everything in it still running, and a
 * client INSIDE it keeps writing to its own region's API while writers outside write to theirs and a
 * typist homed in each region edits the draft from outside (the cut-off region's moves away).
 *
 * What fences the old primary — nothing has to kill it:
 * - synchronous replication (number_sync_standbys=1): a commit on the cut-off primary waits for a
 *   standby that can no longer answer, so from the cut on it is never acknowledged to the API, and the
 *   API never acknowledges it to the client (the row may be on the old primary's disk; pg_rewind drops
 *   it when the node rejoins — it was never promised to anyone);
 * - the keeper's network partition timeout (2 s, set C): cut off from the monitor and with no standby
 *   connected (dead replication links drop after wal_sender_timeout, 4 s in the regions), the keeper stops
 *   its PostgreSQL, so the region's own API finds no writable server and answers 503 database_failover.
 * The drill checks the order: the inside client's last acknowledged write, and the moment the old
 * primary stopped answering as writable (probed from inside the region), against the monitor's
 * promotion of the new one; then heals, and every acknowledged write of both sides must be on the final
 * primary, with the old primary back as a standby.
 */
/**
 * How long the monitor keeps the promoted standby read-only waiting for the old primary's demotion. The
 * wait starts ~4.5 s after the cut (detection, then the election); the cut-off keeper stopped its
 * PostgreSQL 5.3-6.4 s after it (its monitor link times out: KEEPER_MONITOR_LINK), so the promotion at
 * ~9.5-10.5 s leaves it 3-5 s of margin. (Before the keeper's monitor link had timeouts the fence came
 * 12.3-14 s after the cut, and this was 20 s; with set C's 1 s the monitor promoted first in 2 of 5 drills.)
 */
const PRIMARY_DEMOTE_TIMEOUT_MS = 5_000;

export const regionPartition: Scenario = {
  id: 'region-partition',
  title: "Cut the primary's region off, processes alive: fencing before promotion, no write on both sides",
  firstWriteGoal: 'fencing-first',
  // Fencing before promotion costs failover time (PRIMARY_DEMOTE_TIMEOUT_MS): the 10 s goal is the hard loss's.
  setup: onRegionRig(
    async (rig, drill, log) => {
      const victim = await waitUntilReadyForFault(rig);
      const label = drillLabel('part', drill);
      const regions = rig.sites.map((site) => ({ name: site.name, apiUrl: site.apiUrl }));
      const common = { regions, conversationId: rig.conversationId, headers: rig.headers };
      const inside = await startInsideRegionClient(victim.namespace, {
        ...common,
        home: victim.name,
        label: `${label}-inside`,
        probe: { host: victim.address, port: victim.node.port, database: AUTO_FAILOVER_DATABASE },
      });
      const watch = watchPrimaries(rig.cluster);
      const outside = rig.sites
        .filter((site) => site !== victim)
        .map((site) => startRegionWriter({ ...common, home: site.name, label: `${label}-${site.name}` }));
      let typists: RegionTypist[] = [];
      try {
        typists = await startTypistsInEveryRegion(rig, label);
        await Promise.all([waitForMoreWrites(outside, 10, 60_000), waitForMoreEdits(typists, 5, 60_000)]);
        await waitFor(() => inside.acknowledged.length >= 10, 60_000, 'the inside client writing');

        const faultAt = Date.now();
        await rig.network.cut(victim.name);
        const inEffectAt = Date.now();
        log(`cut region ${victim.name} (${victim.node.name}, the primary) off, processes alive`);
        await waitFor(
          () => firstWriteElsewhereMs(outside, faultAt, victim.name, inEffectAt) !== undefined,
          90_000,
          'a write through another region',
        );
        await Promise.all([waitForMoreWrites(outside, 10, 60_000), waitForMoreEdits(typists, 5, 90_000)]);
        // Fenced: not writable for 2 s on end (one slow probe on a loaded machine is not a fence).
        await waitFor(
          () => {
            const latest = inside.probe.at(-1);
            return latest !== undefined && latest.at > faultAt && latest.role !== 'writable' && Date.now() - latest.at > 2_000;
          },
          60_000,
          'the old primary fenced',
        );

        const healAt = Date.now();
        await rig.network.heal(victim.name);
        await rig.waitForFormation();
        const rejoinMs = Date.now() - healAt;
        await Promise.all([waitForMoreWrites(outside, 5, 60_000), waitForMoreEdits(typists, 5, 60_000)]);
        const insideResult = await inside.stop();
        for (const writer of outside) await writer.stop();
        const typistFailures = await stopTypists(typists);
        watch.stop();

        const finalPrimary = await writableNode(rig.cluster, victim.node);
        const acknowledged = [...outside.flatMap((writer) => writer.acknowledged), ...inside.acknowledged];
        const lost = await lostOn(rig.cluster, finalPrimary, rig.conversationId, label, acknowledged);
        const lostEdits = await lostEditsOn(finalPrimary, rig.conversationId, typists);
        const edits = editOperations(typists);
        const timeline = await monitorTimeline(rig.cluster, faultAt, victim.node);
        log(timeline.events.join('\n'));
        const promotionAt = faultAt + (timeline.promotionMs ?? Number.POSITIVE_INFINITY);
        const insideAcksInPartition = inside.acknowledged.filter((write) => write.answeredAt >= faultAt && write.answeredAt < healAt);
        const lastInsideAckAt = Math.max(
          0,
          ...inside.acknowledged.filter((write) => write.answeredAt < healAt).map((write) => write.answeredAt),
        );
        const fencedAt = fencedAtOf(inside.probe, faultAt, healAt);
        const violations = [
          ...outside.flatMap((writer) => writer.unexpectedAnswers),
          ...insideResult.unexpectedAnswers,
          ...lost.map((content) => `acknowledged and lost: ${content}`),
          ...lostEdits.map((marker) => `acknowledged edit lost: ${marker}`),
          ...typistFailures,
          ...(watch.doublePrimaryRounds > 0 ? [`${watch.doublePrimaryRounds} probe rounds saw two writable nodes`] : []),
          ...(lastInsideAckAt >= promotionAt ? ['the cut-off region acknowledged a write after the new primary was promoted'] : []),
          ...(fencedAt >= promotionAt ? ['the old primary still answered as writable when the new one was promoted'] : []),
        ];
        return {
          detectionMs: timeline.detectionMs,
          promotionMs: timeline.promotionMs,
          firstWriteMs: firstWriteElsewhereMs(outside, faultAt, victim.name, inEffectAt),
          acknowledged: acknowledged.length + edits.succeeded,
          lostAcknowledged: lost.length + lostEdits.length,
          maxPrimaries: watch.doublePrimaryRounds > 0 || fencedAt >= promotionAt ? 2 : 1,
          operations: {
            attempted: operationsOf(outside).attempted + insideResult.operations.attempted + edits.attempted,
            succeeded: operationsOf(outside).succeeded + insideResult.operations.succeeded + edits.succeeded,
          },
          violations,
          notes: {
            cutRegion: victim.name,
            newPrimary: rig.siteOf(finalPrimary).name,
            insideLastAckMs: lastInsideAckAt - faultAt,
            insideAcksDuringPartition: insideAcksInPartition.length,
            oldPrimaryFencedMs: fencedAt - faultAt,
            fencedBeforePromotion: fencedAt < promotionAt && lastInsideAckAt < promotionAt,
            healToWholeMs: rejoinMs,
            messagesAcknowledged: acknowledged.length,
            ...typistNotes(typists, faultAt, inEffectAt),
            ...(rig.serverErrors().length > 0 ? { serverErrors: rig.serverErrors().slice(-5).join('\n') } : {}),
          },
        };
      } finally {
        inside.kill();
        for (const writer of outside) await writer.stop();
        for (const typist of typists) typist.close();
        watch.stop();
      }
    },
    { primaryDemoteTimeoutMs: PRIMARY_DEMOTE_TIMEOUT_MS },
  ),
};

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * When the old primary stopped answering as writable for good (until the heal): the probe's first
 * answer after its last `writable` one. A node still writable at the heal was never fenced (Infinity).
 */
function fencedAtOf(probe: Array<{ at: number; role: string }>, faultAt: number, healAt: number): number {
  const beforeHeal = probe.filter((answer) => answer.at < healAt);
  const lastWritable = beforeHeal.findLastIndex((answer) => answer.role === 'writable');
  if (lastWritable === -1) return faultAt;
  return beforeHeal[lastWritable + 1]?.at ?? Number.POSITIVE_INFINITY;
}

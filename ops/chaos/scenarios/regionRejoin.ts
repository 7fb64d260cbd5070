import { watchPrimaries } from '../primaryWatch.ts';
import {
  drillLabel,
  lostOn,
  lostRegionResult,
  monitorTimeline,
  startWritersInEveryRegion,
  waitForMoreWrites,
  waitForZeroLag,
  waitUntilReadyForFault,
  writableNode,
} from '../regions/regionDrill.ts';
import { startRegionRig } from '../regions/startRegionRig.ts';
import type { Scenario } from '../scenario.ts';

/**
 * Issue 14, scenario 6: after the primary's region was lost and the formation failed over, the region
 * comes back (its link healed, its machines restarted: the keeper and the servers, nothing else). Its
 * old primary must rejoin as a standby and catch up by itself — pg_autoctl demotes it, pg_rewinds it
 * onto the new timeline and streams from the new primary — while writers keep running, with nothing
 * acknowledged lost. Measured from the heal: the monitor reporting the node `secondary`, and the new
 * primary seeing it streaming with nothing left to replay.
 */
export const regionRejoin: Scenario = {
  id: 'region-rejoin',
  title: 'Restore the lost primary region: it rejoins as a standby and catches up without operator action',
  async setup(log) {
    const rig = await startRegionRig();
    log(`rig ready in ${rig.setupMs} ms ${JSON.stringify(rig.setupPhasesMs)}`);
    return {
      close: () => rig.close(),
      async drill(drill) {
        const victim = await waitUntilReadyForFault(rig);
        const label = drillLabel('rejoin', drill);
        const watch = watchPrimaries(rig.cluster);
        const writers = startWritersInEveryRegion(rig, label);
        try {
          await waitForMoreWrites(writers, 10, 60_000);
          const faultAt = Date.now();
          await rig.killRegion(victim);
          const inEffectAt = Date.now();
          log(`lost region ${victim.name} (${victim.node.name}, the primary)`);
          await waitForMoreWrites(writers, 10, 90_000);
          const newPrimary = await writableNode(rig.cluster, victim.node);

          const healAt = Date.now();
          const restored = rig.restoreRegion(victim);
          await rig.cluster.waitForStates({ [victim.node.name]: 'secondary' }, 180_000);
          const secondaryAt = Date.now();
          const caughtUpAt = await waitForZeroLag(rig.cluster, newPrimary, victim.node, 60_000);
          await restored;
          await rig.waitForFormation();
          log(`${victim.node.name} secondary ${secondaryAt - healAt} ms after the heal, caught up at ${caughtUpAt - healAt} ms`);
          // Writers keep going through the whole formation, the restored region's API included.
          await waitForMoreWrites(writers, 5, 60_000);
          for (const writer of writers) await writer.stop();
          watch.stop();

          const acknowledged = writers.flatMap((writer) => writer.acknowledged);
          const lost = await lostOn(rig.cluster, newPrimary, rig.conversationId, label, acknowledged);
          const standbyCopy = await lostOn(rig.cluster, victim.node, rig.conversationId, label, acknowledged).catch(() => ['unreadable']);
          const timeline = await monitorTimeline(rig.cluster, faultAt, victim.node);
          return lostRegionResult({
            ...{ rig, writers, watch, timeline, victim, faultAt, inEffectAt, acknowledged, lost },
            // Hot standby: the rejoined node answers reads, and what it holds must be the primary's history.
            extraViolations: standbyCopy.length > 0 ? [`${standbyCopy.length} acknowledged writes missing on the rejoined standby`] : [],
            notes: { restoredRegion: victim.name, healToSecondaryMs: secondaryAt - healAt, healToCaughtUpMs: caughtUpAt - healAt },
          });
        } finally {
          for (const writer of writers) await writer.stop();
          watch.stop();
        }
      },
    };
  },
};

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
import type { RegionTypist } from '../regions/regionTypist.ts';
import { lostEditsOn, startTypistsInEveryRegion, stopTypists, waitForMoreEdits } from '../regions/regionTypists.ts';
import { startRegionRig } from '../regions/startRegionRig.ts';
import type { Scenario } from '../scenario.ts';

/**
 * Issue 14, scenario 6: after the primary's region was lost and the formation failed over, the region
 * comes back (its link healed, its machines restarted: the keeper and the servers, nothing else). Its
 * old primary must rejoin as a standby and catch up by itself — pg_autoctl demotes it, pg_rewinds it
 * onto the new timeline and streams from the new primary — while writers post messages and typists edit
 * the draft (region-kill's), with nothing acknowledged lost. Measured from the heal: the monitor
 * reporting the node `secondary`, and the new primary seeing it streaming with nothing left to replay.
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
        let typists: RegionTypist[] = [];
        try {
          typists = await startTypistsInEveryRegion(rig, label);
          await Promise.all([waitForMoreWrites(writers, 10, 60_000), waitForMoreEdits(typists, 5, 60_000)]);
          const faultAt = Date.now();
          await rig.killRegion(victim);
          const inEffectAt = Date.now();
          log(`lost region ${victim.name} (${victim.node.name}, the primary)`);
          await Promise.all([waitForMoreWrites(writers, 10, 90_000), waitForMoreEdits(typists, 5, 90_000)]);
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
          await Promise.all([waitForMoreWrites(writers, 5, 60_000), waitForMoreEdits(typists, 5, 60_000)]);
          for (const writer of writers) await writer.stop();
          const typistFailures = await stopTypists(typists);
          watch.stop();

          const acknowledged = writers.flatMap((writer) => writer.acknowledged);
          const lost = await lostOn(rig.cluster, newPrimary, rig.conversationId, label, acknowledged);
          const lostEdits = await lostEditsOn(newPrimary, rig.conversationId, typists);
          const standbyCopy = await lostOn(rig.cluster, victim.node, rig.conversationId, label, acknowledged).catch(() => ['unreadable']);
          const standbyEdits = await lostEditsOn(victim.node, rig.conversationId, typists).catch(() => ['unreadable']);
          const timeline = await monitorTimeline(rig.cluster, faultAt, victim.node);
          return lostRegionResult({
            ...{ rig, writers, typists, watch, timeline, victim, faultAt, inEffectAt, acknowledged, lost, lostEdits, typistFailures },
            // Hot standby: the rejoined node answers reads, and what it holds must be the primary's history.
            extraViolations: [
              ...(standbyCopy.length > 0 ? [`${standbyCopy.length} acknowledged writes missing on the rejoined standby`] : []),
              ...(standbyEdits.length > 0 ? [`${standbyEdits.length} acknowledged edits missing on the rejoined standby`] : []),
            ],
            notes: { restoredRegion: victim.name, healToSecondaryMs: secondaryAt - healAt, healToCaughtUpMs: caughtUpAt - healAt },
          });
        } finally {
          for (const writer of writers) await writer.stop();
          for (const typist of typists) typist.close();
          watch.stop();
        }
      },
    };
  },
};

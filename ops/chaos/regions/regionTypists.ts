import { createDb } from '@shared/db.ts';
import { AUTO_FAILOVER_DATABASE, type AutoFailoverNode } from '../../../test/autoFailoverCluster.ts';
import { documentInDatabase } from '../../../test/collab.ts';
import { paragraphMarkers } from '../../../test/collabTypist.ts';
import { startRegionTypist, type RegionTypist } from './regionTypist.ts';
import type { RegionRig } from './startRegionRig.ts';

/** One typist per region, each homed on its region's collab server and free to move to another's; resolves once all synced. */
export async function startTypistsInEveryRegion(rig: RegionRig, label: string): Promise<RegionTypist[]> {
  const regions = rig.sites.map((site) => ({ name: site.name, apiUrl: site.apiUrl, collabUrl: site.collabUrl }));
  const started = await Promise.allSettled(
    rig.sites.map((site) =>
      startRegionTypist({
        home: site.name,
        regions,
        conversationId: rig.conversationId,
        accessToken: rig.accessToken,
        headers: rig.headers,
        label: `${label}-${site.name}-edit`,
      }),
    ),
  );
  const typists = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    for (const typist of typists) typist.close();
    throw failed.reason;
  }
  return typists;
}

/** Waits until every typist has `more` acknowledged edits beyond what it has now; a typist that gave up ends the wait. */
export async function waitForMoreEdits(typists: RegionTypist[], more: number, timeoutMs: number): Promise<void> {
  const targets = typists.map((typist) => typist.acknowledged.length + more);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed = typists.find((typist) => typist.failure !== undefined);
    if (failed) throw new Error(`typist homed in ${failed.home}: ${failed.failure}`);
    if (typists.every((typist, index) => typist.acknowledged.length >= targets[index]!)) return;
    if (Date.now() > deadline) {
      const counts = typists.map((typist, index) => `${typist.home} ${typist.acknowledged.length}/${targets[index]}`).join(', ');
      throw new Error(`typists: ${more} more acknowledged edits each not reached in ${timeoutMs} ms (${counts})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops every typist (each waits for its edit in flight); resolves with the edits never acknowledged, described. */
export async function stopTypists(typists: RegionTypist[]): Promise<string[]> {
  const stopped = await Promise.allSettled(typists.map((typist) => typist.stop()));
  return stopped.flatMap((result, index) =>
    result.status === 'rejected' ? [`typist homed in ${typists[index]!.home}: ${(result.reason as Error).message}`] : [],
  );
}

/**
 * The acknowledged edits whose paragraph the node does not hold: the draft as a fresh collab node would
 * load it from there (stored state plus update log, test/collab.ts › documentInDatabase). Asked again
 * for 30 s while the node does not answer (a node just promoted on a loaded machine can be slow).
 */
export async function lostEditsOn(node: AutoFailoverNode, conversationId: string, typists: RegionTypist[]): Promise<string[]> {
  const db = createDb({
    DATABASE_URL: `postgres://postgres@${node.host}:${node.port}/${AUTO_FAILOVER_DATABASE}`,
    DATABASE_POOL_MAX: 1,
    DATA_DIR: '/nonexistent-test-data-dir',
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      try {
        const draft = paragraphMarkers(await documentInDatabase(db, conversationId));
        return typists.flatMap((typist) => typist.acknowledged.map((edit) => edit.marker)).filter((marker) => !draft.has(marker));
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await db.destroy();
  }
}

/**
 * The first edit acknowledged once the fault was in effect (`inEffectAt`), in ms from the moment it
 * was started (`faultAt`): an acknowledgement means the update log committed, so on the new primary.
 */
export function firstEditAfterMs(typists: RegionTypist[], faultAt: number, inEffectAt: number): number | undefined {
  const times = typists.flatMap((typist) => typist.acknowledged).filter((edit) => edit.at >= inEffectAt);
  return times.length > 0 ? Math.min(...times.map((edit) => edit.at)) - faultAt : undefined;
}

/** Edits typed (attempted) and acknowledged (succeeded), over every typist. */
export function editOperations(typists: RegionTypist[]): { attempted: number; succeeded: number } {
  return {
    attempted: typists.reduce((sum, typist) => sum + typist.written.length, 0),
    succeeded: typists.reduce((sum, typist) => sum + typist.acknowledged.length, 0),
  };
}

/** What a drill's notes say of its typists: edits acknowledged, the first one after the fault, and every move (ms from the fault). */
export function typistNotes(typists: RegionTypist[], faultAt: number, inEffectAt: number): Record<string, number | string> {
  const moves = typists.flatMap((typist) => typist.moves).map((move) => `${move.from}→${move.to} at +${move.at - faultAt} ms`);
  return {
    editsAcknowledged: editOperations(typists).succeeded,
    firstEditMs: firstEditAfterMs(typists, faultAt, inEffectAt) ?? 'none',
    typistMoves: moves.join(', ') || 'none',
    typistFailoverRefusals: typists.reduce((sum, typist) => sum + typist.failoverRefusals, 0),
  };
}

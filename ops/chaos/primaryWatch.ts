import type { AutoFailoverCluster } from '../../test/autoFailoverCluster.ts';

/** What the watch saw: how often it asked, and in how many rounds more than one node took writes. */
export interface PrimaryWatch {
  rounds: number;
  doublePrimaryRounds: number;
  /** The most nodes writable in one round (1 in a healthy formation; 0 during the write gap). */
  maxWritable: number;
  /**
   * Rounds in which a node answered out of recovery and not read-only while another did too, but could
   * acknowledge no commit (`stranded`: the synchronous standbys it waits for no longer stream from it).
   */
  strandedBesidePrimaryRounds: number;
  stop(): void;
}

/**
 * Asks every node, on fresh connections, whether it takes writes, round after round (~every 50 ms)
 * until stopped. A round in which two nodes are writable is a split brain, whether or not a client
 * wrote there. A stranded node is not writable: a commit there waits until its keeper stops it and is
 * never acknowledged (the watch counts those rounds apart, so the report shows them).
 */
export function watchPrimaries(cluster: AutoFailoverCluster): PrimaryWatch {
  const watch: PrimaryWatch = {
    rounds: 0,
    doublePrimaryRounds: 0,
    maxWritable: 0,
    strandedBesidePrimaryRounds: 0,
    stop: () => (isStopped = true),
  };
  let isStopped = false;
  void (async () => {
    while (!isStopped) {
      const roles = await Promise.all(cluster.nodes.map((node) => cluster.role(node)));
      watch.rounds += 1;
      const writable = roles.filter((role) => role === 'writable').length;
      const stranded = roles.filter((role) => role === 'stranded').length;
      watch.maxWritable = Math.max(watch.maxWritable, writable);
      if (writable > 1) watch.doublePrimaryRounds += 1;
      if (stranded > 0 && writable + stranded > 1) watch.strandedBesidePrimaryRounds += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return watch;
}

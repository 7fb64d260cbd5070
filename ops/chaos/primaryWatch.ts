import type { AutoFailoverCluster } from '../../test/autoFailoverCluster.ts';

/** What the watch saw: how often it asked, and in how many rounds more than one node took writes. */
export interface PrimaryWatch {
  rounds: number;
  doublePrimaryRounds: number;
  /** The most nodes writable in one round (1 in a healthy formation; 0 during the write gap). */
  maxWritable: number;
  stop(): void;
}

/**
 * Asks every node, on fresh connections, whether it takes writes, round after round (~every 50 ms)
 * until stopped. A round in which two nodes are writable is a split brain, whether or not a client
 * wrote there.
 */
export function watchPrimaries(cluster: AutoFailoverCluster): PrimaryWatch {
  const watch: PrimaryWatch = { rounds: 0, doublePrimaryRounds: 0, maxWritable: 0, stop: () => (isStopped = true) };
  let isStopped = false;
  void (async () => {
    while (!isStopped) {
      const roles = await Promise.all(cluster.nodes.map((node) => cluster.role(node)));
      watch.rounds += 1;
      const writable = roles.filter((role) => role === 'writable').length;
      watch.maxWritable = Math.max(watch.maxWritable, writable);
      if (writable > 1) watch.doublePrimaryRounds += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return watch;
}

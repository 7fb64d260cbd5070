import type { AutoFailoverCluster } from '../../test/autoFailoverCluster.ts';

/** What the watch saw: how often it asked, and in how many rounds more than one node took writes. */
export interface PrimaryWatch {
  rounds: number;
  doublePrimaryRounds: number;
  stop(): void;
}

/**
 * Asks every node, on fresh connections, whether it takes writes, round after round (~every 50 ms)
 * until stopped. A round in which two nodes are writable is a split brain, whether or not a client
 * wrote there.
 */
export function watchPrimaries(cluster: AutoFailoverCluster): PrimaryWatch {
  const watch: PrimaryWatch = { rounds: 0, doublePrimaryRounds: 0, stop: () => (isStopped = true) };
  let isStopped = false;
  void (async () => {
    while (!isStopped) {
      const roles = await Promise.all(cluster.nodes.map((node) => cluster.role(node)));
      watch.rounds += 1;
      if (roles.filter((role) => role === 'writable').length > 1) watch.doublePrimaryRounds += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return watch;
}

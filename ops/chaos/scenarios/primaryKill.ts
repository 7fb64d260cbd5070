import { setupPrimaryLoss } from '../primaryLoss.ts';
import type { Scenario } from '../scenario.ts';

/**
 * Issue 14's first drill: the primary node (keeper and postmaster trees) is SIGKILLed whole under a REST
 * writer and a collab typist; its keeper is then started again and the node rejoins as a standby.
 */
export const primaryKill: Scenario = {
  id: 'primary-kill',
  title: 'SIGKILL of the PostgreSQL primary node (pg_auto_failover)',
  setup: (log) =>
    setupPrimaryLoss(log, {
      verb: 'killed',
      inject: (cluster, victim) => cluster.hardKill(victim),
      rejoin: (cluster, victim) => cluster.restart(victim),
    }),
};

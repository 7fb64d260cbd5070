import { setupPrimaryLoss } from '../primaryLoss.ts';
import type { Scenario } from '../scenario.ts';

/**
 * A hung host: the primary node's processes are SIGSTOPped and thawed once writes have resumed on the
 * standby; its keeper then learns of the failover and demotes it. pg_auto_failover has no fencing, so the
 * thawed old primary answers out of recovery for a moment before its keeper stops it — but no synchronous
 * standby streams from it any more, so `synchronous_commit=on` keeps every commit there unacknowledged: the
 * probe counts it `stranded` (NodeRole), not a second primary, and the drill's notes count those rounds.
 * The product itself never picks a server while two answer writable.
 */
export const primaryFreeze: Scenario = {
  id: 'primary-freeze',
  title: 'SIGSTOP of the PostgreSQL primary node, thawed after the failover',
  setup: (log) =>
    setupPrimaryLoss(log, {
      verb: 'froze',
      inject: (cluster, victim) => cluster.freeze(victim),
      afterFailover: (cluster, victim) => cluster.thaw(victim),
    }),
};

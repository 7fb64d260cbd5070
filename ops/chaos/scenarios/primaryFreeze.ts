import { setupPrimaryLoss } from '../primaryLoss.ts';
import type { Scenario } from '../scenario.ts';

/**
 * A hung host: the primary node's processes are SIGSTOPped and thawed once writes have resumed on the
 * standby; its keeper then learns of the failover and demotes it. pg_auto_failover has no fencing, so the
 * probe may see the thawed old primary answer writable for a moment before its keeper stops it: the
 * drill reports that as two primaries, as it is (the product itself never picks a server while two answer
 * writable, and `synchronous_commit=on` keeps a commit there from being acknowledged).
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

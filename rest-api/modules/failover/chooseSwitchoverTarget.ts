import type { MonitorNode } from '@shared/failover/AutoFailoverMonitor.ts';
import { SwitchoverError } from './SwitchoverError.ts';

/** The primary to move away from, and the standby to promote. */
export interface SwitchoverPlan {
  primary: MonitorNode;
  standby: MonitorNode;
}

/**
 * Picks the standby a switchover promotes, from the monitor's node table, or says why there is none.
 * A switchover starts only from a settled formation (every node at its goal state, one primary): a node
 * on its way somewhere means a failover or another switchover is under way. Without `target`, the
 * healthy secondary of highest candidate priority is chosen; `target` is a node name or host:port.
 */
export function chooseSwitchoverTarget(nodes: MonitorNode[], target: string | undefined): SwitchoverPlan {
  const moving = nodes.find((node) => node.reportedState !== node.goalState);
  if (moving)
    throw new SwitchoverError(
      'switchover_in_progress',
      `The formation is changing (${moving.name}: ${moving.reportedState} → ${moving.goalState}); try again once it has settled`,
    );
  const primary = nodes.find((node) => node.reportedState === 'primary');
  if (!primary) throw new SwitchoverError('switchover_in_progress', 'No node is primary right now; a failover may be under way');
  const isCandidate = (node: MonitorNode) =>
    node !== primary && node.group === primary.group && node.reportedState === 'secondary' && node.isHealthy && node.candidatePriority > 0;
  if (target !== undefined) {
    const named = nodes.find((node) => node.name === target || `${node.host}:${node.port}` === target);
    if (!named) throw new SwitchoverError('switchover_target_unknown', `No node named ${target} in the formation`);
    if (named === primary) throw new SwitchoverError('switchover_refused', `${target} is the primary already`);
    if (!isCandidate(named))
      throw new SwitchoverError(
        'no_healthy_standby',
        `${target} cannot be promoted: it is ${named.reportedState}, ${named.isHealthy ? 'healthy' : 'unhealthy'}, ` +
          `candidate priority ${named.candidatePriority}`,
      );
    return { primary, standby: named };
  }
  const [standby] = nodes.filter(isCandidate).sort((a, b) => b.candidatePriority - a.candidatePriority);
  if (!standby) throw new SwitchoverError('no_healthy_standby', 'No healthy secondary to promote; the primary stays where it is');
  return { primary, standby };
}

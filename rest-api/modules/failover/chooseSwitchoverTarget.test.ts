import { describe, expect, it } from '@jest/globals';
import type { MonitorNode } from '@shared/failover/AutoFailoverMonitor.ts';
import { chooseSwitchoverTarget } from './chooseSwitchoverTarget.ts';

const node = (name: string, port: number, reportedState: string, overrides: Partial<MonitorNode> = {}): MonitorNode => ({
  name,
  host: '10.0.0.1',
  port,
  group: 0,
  reportedState,
  goalState: reportedState,
  isHealthy: true,
  candidatePriority: 50,
  ...overrides,
});
const primary = node('pg1', 5432, 'primary');
const standby = node('pg2', 5433, 'secondary');

describe('choosing the standby a switchover promotes', () => {
  it('takes the healthy secondary of highest candidate priority, or the one named (by name or host:port)', () => {
    const better = node('pg3', 5434, 'secondary', { candidatePriority: 90 });
    expect(chooseSwitchoverTarget([primary, standby, better], undefined).standby).toBe(better);
    expect(chooseSwitchoverTarget([primary, standby, better], 'pg2').standby).toBe(standby);
    expect(chooseSwitchoverTarget([primary, standby, better], '10.0.0.1:5433').standby).toBe(standby);
  });

  it.each([
    [
      'a node on its way to another state',
      [primary, node('pg2', 5433, 'catchingup', { goalState: 'secondary' })],
      undefined,
      'switchover_in_progress',
    ],
    ['no primary', [node('pg1', 5432, 'demoted'), standby], undefined, 'switchover_in_progress'],
    ['an unhealthy standby', [primary, node('pg2', 5433, 'secondary', { isHealthy: false })], undefined, 'no_healthy_standby'],
    [
      'a standby that may never be promoted',
      [primary, node('pg2', 5433, 'secondary', { candidatePriority: 0 })],
      undefined,
      'no_healthy_standby',
    ],
    ['a standby in maintenance, named', [primary, node('pg2', 5433, 'maintenance')], 'pg2', 'no_healthy_standby'],
    ['a node the formation does not have', [primary, standby], 'pg9', 'switchover_target_unknown'],
    ['the primary itself', [primary, standby], 'pg1', 'switchover_refused'],
  ])('refuses with %s', (_case, nodes, target, code) => {
    expect(() => chooseSwitchoverTarget(nodes, target)).toThrow(expect.objectContaining({ code }));
  });
});

import type { DrillResult, Scenario, ScenarioSummary } from './scenario.ts';

/** Median (the lower middle of an even count, so it is a figure that was measured) and maximum; null when none. */
function spread(values: Array<number | undefined>): { median: number; max: number } | null {
  const measured = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (measured.length === 0) return null;
  return { median: measured[Math.floor((measured.length - 1) / 2)]!, max: measured[measured.length - 1]! };
}

/** One scenario's drills as written to latest.json and the README: medians and worsts, sums, availability. */
export function summarise(scenario: Pick<Scenario, 'id' | 'title' | 'firstWriteGoal'>, drills: DrillResult[]): ScenarioSummary {
  const sum = (pick: (drill: DrillResult) => number) => drills.reduce((total, drill) => total + pick(drill), 0);
  const attempted = sum((drill) => drill.operations.attempted);
  return {
    scenario: scenario.id,
    title: scenario.title,
    drills: drills.length,
    failoverMs: spread(drills.map((drill) => drill.firstWriteMs)),
    ...(scenario.firstWriteGoal ? { firstWriteGoal: scenario.firstWriteGoal } : {}),
    detectionMs: spread(drills.map((drill) => drill.detectionMs)),
    promotionMs: spread(drills.map((drill) => drill.promotionMs)),
    acknowledged: sum((drill) => drill.acknowledged),
    lostAcknowledged: sum((drill) => drill.lostAcknowledged),
    maxPrimaries: Math.max(0, ...drills.map((drill) => drill.maxPrimaries)),
    availability: attempted === 0 ? 0 : sum((drill) => drill.operations.succeeded) / attempted,
    violations: drills.flatMap((drill, index) => drill.violations.map((violation) => `drill ${index + 1}: ${violation}`)),
    notes: drills.map((drill) => drill.notes ?? {}),
  };
}

/** A drill's figures in one line: `first write 4.9 s after the fault, 312 acknowledged, 0 lost, …`. */
export function describeDrill(result: DrillResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const { attempted, succeeded } = result.operations;
  const parts = [
    result.detectionMs === undefined ? undefined : `detected ${seconds(result.detectionMs)}`,
    result.promotionMs === undefined ? undefined : `promoted ${seconds(result.promotionMs)}`,
    result.firstWriteMs === undefined ? undefined : `first write ${seconds(result.firstWriteMs)} after the fault`,
    `${result.acknowledged} acknowledged`,
    `${result.lostAcknowledged} lost`,
    `${result.maxPrimaries} primar${result.maxPrimaries === 1 ? 'y' : 'ies'} at most`,
    `${attempted === 0 ? '–' : ((100 * succeeded) / attempted).toFixed(1)} % of ${attempted} operations succeeded`,
    result.violations.length > 0 ? `VIOLATIONS: ${result.violations.join('; ')}` : undefined,
  ];
  return parts.filter(Boolean).join(', ');
}

/** True when a drill broke a promise the product makes: a lost acknowledged write, two primaries, or a violation. */
export function isBroken(result: Pick<DrillResult, 'lostAcknowledged' | 'maxPrimaries' | 'violations'>): boolean {
  return result.lostAcknowledged > 0 || result.maxPrimaries > 1 || result.violations.length > 0;
}

import { regionKill } from '../scenarios/regionKill.ts';
import { regionPartition } from '../scenarios/regionPartition.ts';
import { regionRejoin } from '../scenarios/regionRejoin.ts';
import type { DrillResult, Scenario } from '../scenario.ts';

/**
 * Runs region scenarios drill after drill on one rig each, until `npm run chaos` registers them:
 * `node --import tsx ops/chaos/regions/runDrills.ts <region-kill|region-partition|region-rejoin…> [--drills N]`.
 * Prints every drill's result as one JSON line, then each scenario's medians and worst cases.
 */
const scenarios: Scenario[] = [regionKill, regionPartition, regionRejoin];
const args = process.argv.slice(2);
const drillsAt = args.indexOf('--drills');
const drills = drillsAt === -1 ? 5 : Number(args[drillsAt + 1]);
const named = args.filter((arg, index) => !arg.startsWith('--') && index !== drillsAt + 1);
const chosen = named.length === 0 ? scenarios : scenarios.filter((scenario) => named.includes(scenario.id));

const spread = (values: Array<number | undefined>) => {
  const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? null : { median: known[Math.floor((known.length - 1) / 2)], max: known.at(-1) };
};

for (const scenario of chosen) {
  const log = (line: string) => process.stdout.write(`[${scenario.id}] ${line}\n`);
  const rig = await scenario.setup(log);
  const results: DrillResult[] = [];
  try {
    for (let drill = 1; drill <= drills; drill += 1) {
      results.push(await rig.drill(drill));
      log(`drill ${drill}: ${JSON.stringify(results.at(-1))}`);
    }
  } finally {
    await rig.close();
  }
  const attempted = results.reduce((sum, result) => sum + result.operations.attempted, 0);
  const succeeded = results.reduce((sum, result) => sum + result.operations.succeeded, 0);
  log(
    `summary: ${JSON.stringify({
      drills: results.length,
      detectionMs: spread(results.map((result) => result.detectionMs)),
      promotionMs: spread(results.map((result) => result.promotionMs)),
      failoverMs: spread(results.map((result) => result.firstWriteMs)),
      acknowledged: results.reduce((sum, result) => sum + result.acknowledged, 0),
      lostAcknowledged: results.reduce((sum, result) => sum + result.lostAcknowledged, 0),
      maxPrimaries: Math.max(...results.map((result) => result.maxPrimaries)),
      availability: attempted === 0 ? 1 : succeeded / attempted,
      violations: results.flatMap((result) => result.violations),
    })}`,
  );
}
process.exit(0);

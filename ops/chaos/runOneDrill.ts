import type { DrillResult, Scenario } from './scenario.ts';
import { describeDrill } from './summarise.ts';

/**
 * The short version of a scenario, for `npm test`: its setup, one drill, its close (always). Prints
 * the drill's figures as the runner would, and returns them for the test to assert on.
 */
export async function runOneDrill(scenario: Scenario): Promise<DrillResult> {
  const say = (line: string) => process.stdout.write(`[${scenario.id}] ${line}\n`);
  const rig = await scenario.setup(say);
  try {
    const result = await rig.drill(1);
    say(`1/1 ${describeDrill(result)}\n  ${JSON.stringify(result.notes ?? {})}`);
    return result;
  } finally {
    await rig.close();
  }
}

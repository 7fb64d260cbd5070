import { parseArgs } from 'node:util';
import type { DrillResult, Scenario } from './scenario.ts';
import { runContext, writeResults, type RecordedSummary } from './results.ts';
import { scenarios } from './scenarios/index.ts';
import { describeDrill, isBroken, summarise } from './summarise.ts';

/**
 * `npm run chaos [-- <scenario id> … --drills N]`
 *
 * Runs each named scenario (all when none is named): its setup, N drills (default 5) with a line per
 * drill, then its close, always. Merges the summaries into ops/chaos/results/latest.json and rewrites the
 * README's chaos table. Exits 1 when a drill lost an acknowledged write, saw two primaries or recorded a
 * violation, 2 when a rig broke (setup or a drill threw) or the command line is wrong.
 */
const { values, positionals } = parseArgs({ allowPositionals: true, options: { drills: { type: 'string', default: '5' } } });
const drills = Number(values.drills);
if (!Number.isInteger(drills) || drills < 1) fail(`--drills must be a positive integer (got ${values.drills})`);
const unknown = positionals.filter((id) => !scenarios.some((scenario) => scenario.id === id));
if (unknown.length > 0) fail(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((scenario) => scenario.id).join(', ')}`);
const selected = positionals.length > 0 ? scenarios.filter((scenario) => positionals.includes(scenario.id)) : scenarios;

const summaries: RecordedSummary[] = [];
const brokenRigs: string[] = [];
for (const scenario of selected) {
  say(`\n${scenario.id}: ${scenario.title} (${drills} drill${drills === 1 ? '' : 's'})`);
  const context = runContext(drills);
  const results = await runScenario(scenario, drills).catch((error: unknown) => {
    brokenRigs.push(`${scenario.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return [] as DrillResult[];
  });
  if (results.length === 0) continue;
  const summary = { ...summarise(scenario, results), run: context };
  summaries.push(summary);
  const ms = (figure: { median: number; max: number } | null) => (figure ? `${figure.median} / ${figure.max} ms` : '–');
  say(
    `[${scenario.id}] ${results.length} drills: first write median / worst ${ms(summary.failoverMs)}, ` +
      `${summary.acknowledged} acknowledged, ${summary.lostAcknowledged} lost, ${summary.maxPrimaries} primaries at most, ` +
      `availability ${(100 * summary.availability).toFixed(2)} %` +
      (summary.violations.length > 0 ? `, ${summary.violations.length} violations` : ''),
  );
}

if (summaries.length > 0) {
  writeResults(
    summaries,
    scenarios.map((scenario) => scenario.id),
  );
  say('\nwrote ops/chaos/results/latest.json and the README chaos table');
}
for (const broken of brokenRigs) process.stderr.write(`chaos: rig broke: ${broken}\n`);
const broken = summaries.filter(isBroken).map((summary) => summary.scenario);
if (broken.length > 0) say(`FAIL: ${broken.join(', ')} broke a promise (lost writes, two primaries or a violation)`);
process.exit(brokenRigs.length > 0 ? 2 : broken.length > 0 ? 1 : 0);

/** Setup, `count` drills and close (always); the drills that completed before a drill threw are kept. */
async function runScenario(scenario: Scenario, count: number): Promise<DrillResult[]> {
  const log = (prefix: string) => (line: string) => say(`  [${prefix}] ${line}`);
  const rig = await scenario.setup(log(scenario.id));
  const results: DrillResult[] = [];
  try {
    for (let drill = 1; drill <= count; drill++) {
      const result = await rig.drill(drill);
      results.push(result);
      say(`[${scenario.id} ${drill}/${count}] ${describeDrill(result)}`);
      if (result.notes) say(`  ${JSON.stringify(result.notes)}`);
    }
  } catch (error) {
    // Said at once, not only in the final list: a run that dies later must still show why this drill ended.
    say(`[${scenario.id} ${results.length + 1}/${count}] the rig broke: ${error instanceof Error ? error.message : String(error)}`);
    if (results.length === 0) throw error;
    brokenRigs.push(
      `${scenario.id} drill ${results.length + 1}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    await rig.close();
  }
  return results;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioSummary } from './scenario.ts';
import { isBroken } from './summarise.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_FILE = path.join(REPO_ROOT, 'ops/chaos/results/latest.json');
const README = path.join(REPO_ROOT, 'README.md');
const START_MARKER = '<!-- chaos:start -->';
const END_MARKER = '<!-- chaos:end -->';

/** The issue's goals: fault → first write under 10 s, nothing acknowledged lost, never two primaries, 99.9 % with retries. */
const FAILOVER_GOAL_MS = 10_000;
const AVAILABILITY_GOAL = 0.999;

/** Where and when a scenario ran: the machine matters as much as the figures. */
export interface RunContext {
  date: string;
  node: string;
  cpus: number;
  /** One-minute load average when the scenario started (other work on the machine skews the figures). */
  loadAverage: number;
  drillsRequested: number;
}

/** One entry of latest.json. */
export type RecordedSummary = ScenarioSummary & { run: RunContext };

export function runContext(drillsRequested: number): RunContext {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    drillsRequested,
  };
}

/**
 * Merges `summaries` into latest.json by scenario id (a partial run keeps the other scenarios' last
 * figures), keeping `order` (the registry's) for the rest, and rewrites the README table from the result.
 * Returns the entries written.
 */
export function writeResults(summaries: RecordedSummary[], order: string[]): RecordedSummary[] {
  let existing: RecordedSummary[] = [];
  try {
    existing = JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as RecordedSummary[];
  } catch {
    // No results yet (or unreadable ones): this run starts the file.
  }
  const byId = new Map(existing.map((entry) => [entry.scenario, entry]));
  for (const summary of summaries) byId.set(summary.scenario, summary);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const merged = [...byId.values()].sort((a, b) => rank(a.scenario) - rank(b.scenario));
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
  updateReadme(renderTable(merged));
  return merged;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const spreadOf = (figure: { median: number; max: number } | null) => (figure ? `${seconds(figure.median)} / ${seconds(figure.max)}` : '–');
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

/** The README's chaos table: one row per scenario, figures then goals. */
export function renderTable(entries: RecordedSummary[]): string {
  const rows = entries.map((entry) => {
    // A partition's promotion waits for the fence by design: its drills check that order (a violation when broken).
    const isFencingFirst = entry.firstWriteGoal === 'fencing-first';
    const isFailoverMet = entry.failoverMs === null || isFencingFirst || entry.failoverMs.max < FAILOVER_GOAL_MS;
    const failoverVerdict = isFencingFirst ? 'after the fence' : verdict(isFailoverMet);
    const isAvailabilityMet = entry.availability >= AVAILABILITY_GOAL;
    const pass = isFailoverMet && isAvailabilityMet && !isBroken(entry);
    return (
      `| \`${entry.scenario}\` | ${entry.drills} | ${spreadOf(entry.detectionMs)} | ${spreadOf(entry.promotionMs)} | ` +
      `${spreadOf(entry.failoverMs)}${entry.failoverMs ? ` ${failoverVerdict}` : ''} | ${entry.acknowledged} | ` +
      `${entry.lostAcknowledged} ${verdict(entry.lostAcknowledged === 0)} | ${entry.maxPrimaries} ${verdict(entry.maxPrimaries <= 1)} | ` +
      `${(100 * entry.availability).toFixed(2)} % ${verdict(isAvailabilityMet)} | ${entry.violations.length} | ` +
      `${entry.run.date.slice(0, 16).replace('T', ' ')} UTC, ${entry.run.cpus} cores, load ${entry.run.loadAverage} | ` +
      `**${verdict(pass)}** |`
    );
  });
  return [
    '| Scenario | Drills | Detection (median / worst) | Promotion | First write (goal < 10 s) | Acknowledged | Lost (goal 0) ' +
      '| Primaries at most (goal ≤ 1) | Availability with retries (goal ≥ 99.9 %) | Violations | Ran | Result |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Times are from the fault. The 10 s goal is for the hard loss of the primary; a partition (processes alive) is ' +
      'promoted only once the cut-off primary has fenced itself, which each drill checks ("after the fence"). ' +
      'Figures: [ops/chaos/results/latest.json](ops/chaos/results/latest.json).',
  ].join('\n');
}

/** Replaces what lies between the README's chaos markers; warns (and leaves it) when they are missing. */
function updateReadme(section: string): void {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end < start) {
    process.stderr.write(`README.md has no ${START_MARKER} … ${END_MARKER} markers: its chaos table was not updated\n`);
    return;
  }
  fs.writeFileSync(README, `${readme.slice(0, start + START_MARKER.length)}\n${section}\n${readme.slice(end)}`);
}

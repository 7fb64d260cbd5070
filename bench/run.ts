import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/childServer.ts';
import { evaluate, writeReport } from './lib/report.ts';
import type { BenchReport, LoadSettings, ScenarioResult } from './lib/types.ts';
import { scenarios } from './scenarios/index.ts';

/**
 * `npm run bench [-- <scenario id> … --connections=10 --warmup=3 --duration=10]`
 *
 * Runs each scenario (subject, then its baseline, one server at a time, each in its own process),
 * prints the figures and PASS/FAIL per target, writes bench/results/<timestamp>.json and latest.md,
 * and rewrites the README's Benchmarks section. Exits 1 when a target is missed, 2 when a run fails.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
  },
});

const load: LoadSettings = {
  connections: positiveInt('connections', values.connections),
  warmupSeconds: positiveInt('warmup', values.warmup),
  durationSeconds: positiveInt('duration', values.duration),
};
const unknown = positionals.filter((id) => !scenarios.some((s) => s.id === id));
if (unknown.length > 0) fail(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.id).join(', ')}`);
const selected = positionals.length > 0 ? scenarios.filter((s) => positionals.includes(s.id)) : scenarios;

const startedAt = new Date().toISOString();
const loadAverageAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
if (loadAverageAtStart > os.availableParallelism() / 2) {
  say(`warning: load average ${loadAverageAtStart} on ${os.availableParallelism()} cores: other work will skew the figures`);
}
const commit = currentCommit();
const results: ScenarioResult[] = [];
for (const scenario of selected) {
  const seconds = scenario.approximateSeconds?.(load) ?? 2 * (load.warmupSeconds + load.durationSeconds);
  say(`\n${scenario.id}: ${scenario.title} (about ${seconds} s)`);
  let figures;
  try {
    figures = await scenario.run(load);
  } catch (error) {
    fail(`${scenario.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const result = evaluate(scenario, figures);
  results.push(result);
  for (const m of [result.subject, result.baseline]) {
    const lost = m.lostUpdates === undefined ? '' : `   lost ${m.lostUpdates}`;
    say(
      `  ${m.label.padEnd(30)} ${Math.round(m.requestsPerSecond).toString().padStart(7)} req/s   ` +
        `p50 ${m.latencyMs.p50.toFixed(2)} ms   p99 ${m.latencyMs.p99.toFixed(2)} ms${lost}`,
    );
  }
  for (const note of result.notes ?? []) say(`  ${note}`);
  for (const check of result.checks) {
    say(`  ${`${check.name} ${check.actual.toFixed(2)} (target ${check.target})`.padEnd(45)} ${check.pass ? 'PASS' : 'FAIL'}`);
  }
}

const report: BenchReport = {
  startedAt,
  finishedAt: new Date().toISOString(),
  commit,
  machine: {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart,
    loadAverageAtEnd: Math.round(os.loadavg()[0]! * 100) / 100,
  },
  load,
  scenarios: results,
  pass: results.every((r) => r.pass),
};
const written = writeReport(report);
say(`\n${report.pass ? 'PASS' : 'FAIL'}: wrote ${written.map((file) => path.relative(REPO_ROOT, file)).join(', ')}`);
process.exit(report.pass ? 0 : 1);

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer (got ${raw})`);
  return value;
}

/** Short commit of the code measured; `+dirty` when tracked files (other than the bench's own output) differ from it. */
function currentCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!README.md', ':!bench/results') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

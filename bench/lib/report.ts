import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './childServer.ts';
import type { BenchReport, Scenario, ScenarioFigures, ScenarioResult, TargetCheck } from './types.ts';

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const README = path.join(REPO_ROOT, 'README.md');
const START_MARKER = '<!-- bench:start -->';
const END_MARKER = '<!-- bench:end -->';

/** Compares a scenario's subject with its baseline and checks the targets it states. */
export function evaluate(scenario: Scenario, figures: ScenarioFigures): ScenarioResult {
  const { subject, baseline, notes } = figures;
  const throughputRatio = ratio(subject.requestsPerSecond, baseline.requestsPerSecond);
  const p99Ratio = ratio(subject.latencyMs.p99, baseline.latencyMs.p99);
  const { minThroughputRatio, maxP99Ratio, p99RatioInclusive, maxLostUpdates, maxP50Ratio } = scenario.targets;
  const checks: TargetCheck[] = [];
  if (maxP50Ratio !== undefined) {
    const p50Ratio = ratio(subject.latencyMs.p50, baseline.latencyMs.p50);
    checks.push({ name: 'p50 ratio', target: `<= ${maxP50Ratio}`, actual: p50Ratio, pass: p50Ratio <= maxP50Ratio });
  }
  if (minThroughputRatio !== undefined) {
    checks.push({
      name: 'throughput ratio',
      target: `>= ${minThroughputRatio}`,
      actual: throughputRatio,
      pass: throughputRatio >= minThroughputRatio,
    });
  }
  if (maxP99Ratio !== undefined) {
    const pass = p99RatioInclusive ? p99Ratio <= maxP99Ratio : p99Ratio < maxP99Ratio;
    checks.push({ name: 'p99 ratio', target: `${p99RatioInclusive ? '<=' : '<'} ${maxP99Ratio}`, actual: p99Ratio, pass });
  }
  if (maxLostUpdates !== undefined) {
    const lost = subject.lostUpdates ?? 0;
    checks.push({ name: 'lost updates', target: `<= ${maxLostUpdates}`, actual: lost, pass: lost <= maxLostUpdates });
  }
  checks.push(...(figures.checks ?? []));
  return {
    id: scenario.id,
    title: scenario.title,
    kind: scenario.kind ?? 'http',
    subject,
    baseline,
    throughputRatio,
    p99Ratio,
    checks,
    ...(notes?.length ? { notes } : {}),
    pass: checks.every((c) => c.pass),
  };
}

/** Writes `bench/results/<timestamp>.json` and `latest.md`, and the README's Benchmarks section. Returns the paths written. */
export function writeReport(report: BenchReport): string[] {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  const jsonFile = path.join(RESULTS_DIR, `${stamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const latest = path.join(RESULTS_DIR, 'latest.md');
  fs.writeFileSync(latest, renderLatest(report, path.basename(jsonFile)));
  const written = [jsonFile, latest];
  if (updateReadme(renderReadmeSection(report))) written.push(README);
  return written;
}

/** `bench/results/latest.md`: every figure of the run. */
export function renderLatest(report: BenchReport, jsonName: string): string {
  const lines = [
    '# Benchmark results',
    '',
    `${describeRun(report)} Raw figures: [${jsonName}](${jsonName}).`,
    '',
    "Collab rows: req/s is receipts per second (every client receiving every other client's edit), responses are receipts, " +
      'latencies run from an edit to its receipt (or, for a document load, from opening the provider to its first sync).',
    '',
    '| Scenario | Server | req/s | mean ms | p50 ms | p90 ms | p99 ms | max ms | responses | lost |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of report.scenarios) {
    for (const m of [result.subject, result.baseline]) {
      const l = m.latencyMs;
      const lost = m.lostUpdates === undefined ? '' : fmtInt(m.lostUpdates);
      lines.push(
        `| ${result.id} | ${m.label} | ${fmtInt(m.requestsPerSecond)} | ${ms(l.mean)} | ${ms(l.p50)} | ${ms(l.p90)} | ` +
          `${ms(l.p99)} | ${ms(l.max)} | ${fmtInt(m.requests)} | ${lost} |`,
      );
    }
  }
  lines.push('', '| Scenario | Target | Actual | Result |', '|---|---|---:|---|');
  for (const result of report.scenarios) {
    for (const check of result.checks) {
      lines.push(`| ${result.id} | ${check.name} ${check.target} | ${check.actual.toFixed(2)} | ${verdict(check.pass)} |`);
    }
  }
  lines.push(...renderNotes(report.scenarios));
  lines.push('', `Overall: **${verdict(report.pass)}**`, '');
  return lines.join('\n');
}

/** The README's Benchmarks section body: one line per scenario, HTTP and collab in tables of their own. */
export function renderReadmeSection(report: BenchReport): string {
  const lines = [describeRun(report)];
  const http = report.scenarios.filter((r) => r.kind !== 'collab');
  const collab = report.scenarios.filter((r) => r.kind === 'collab');
  if (http.length > 0) {
    lines.push(
      '',
      '| Scenario | App req/s | Baseline req/s | Throughput ratio | App p50 / p99 | Baseline p50 / p99 | p99 ratio | Result |',
      '|---|---:|---:|---|---|---|---|---|',
    );
    for (const r of http) {
      const throughput = r.checks.find((c) => c.name === 'throughput ratio');
      const p99 = r.checks.find((c) => c.name === 'p99 ratio');
      lines.push(
        `| ${r.title} | ${fmtInt(r.subject.requestsPerSecond)} | ${fmtInt(r.baseline.requestsPerSecond)} | ` +
          `${r.throughputRatio.toFixed(2)}${targetOf(throughput)} | ${ms(r.subject.latencyMs.p50)} / ${ms(r.subject.latencyMs.p99)} ms | ` +
          `${ms(r.baseline.latencyMs.p50)} / ${ms(r.baseline.latencyMs.p99)} ms | ` +
          `${r.p99Ratio.toFixed(2)}${targetOf(p99)} | ${resultOf(r)} |`,
      );
    }
  }
  if (collab.length > 0) {
    lines.push(
      '',
      '| Collab scenario | Ours p50 / p99 | Plain Hocuspocus p50 / p99 | p99 ratio | Lost updates | Result |',
      '|---|---|---|---|---|---|',
    );
    for (const r of collab) {
      const p99 = r.checks.find((c) => c.name === 'p99 ratio');
      const lost = r.checks.find((c) => c.name === 'lost updates');
      const lostCell =
        r.subject.lostUpdates === undefined
          ? '—'
          : `${fmtInt(r.subject.lostUpdates)}${targetOf(lost)} (plain: ${fmtInt(r.baseline.lostUpdates ?? 0)})`;
      lines.push(
        `| ${r.title} | ${ms(r.subject.latencyMs.p50)} / ${ms(r.subject.latencyMs.p99)} ms | ` +
          `${ms(r.baseline.latencyMs.p50)} / ${ms(r.baseline.latencyMs.p99)} ms | ` +
          `${r.p99Ratio.toFixed(2)}${targetOf(p99)} | ${lostCell} | ${resultOf(r)} |`,
      );
    }
  }
  lines.push(...renderNotes(report.scenarios));
  lines.push('', 'All figures: [bench/results/latest.md](bench/results/latest.md).');
  return lines.join('\n');
}

/** The checks the tables have no column for (a p50 goal, the API's p99 under load). */
const TABLE_CHECKS = new Set<TargetCheck['name']>(['throughput ratio', 'p99 ratio', 'lost updates']);

/** Figures without a baseline ratio (memory per document and the like) and checks without a column, one bullet each. */
function renderNotes(results: ScenarioResult[]): string[] {
  const notes = results.flatMap((r) => [
    ...r.checks
      .filter((check) => !TABLE_CHECKS.has(check.name))
      .map((check) => `- ${r.title}: ${check.name} ${check.actual.toFixed(2)} (target ${check.target}) ${verdict(check.pass)}`),
    ...(r.notes ?? []).map((note) => `- ${r.title}: ${note}`),
  ]);
  return notes.length > 0 ? ['', ...notes] : [];
}

const targetOf = (check: TargetCheck | undefined) => (check ? ` (${check.target})` : '');
const resultOf = (r: ScenarioResult) => (r.checks.length === 0 ? 'figures only' : verdict(r.pass));

/** Replaces what lies between the README's bench markers; false (and a warning) when they are missing. */
function updateReadme(section: string): boolean {
  let readme: string;
  try {
    readme = fs.readFileSync(README, 'utf8');
  } catch {
    process.stderr.write('README.md not found: its Benchmarks section was not updated\n');
    return false;
  }
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end < start) {
    process.stderr.write(`README.md has no ${START_MARKER} … ${END_MARKER} markers: its Benchmarks section was not updated\n`);
    return false;
  }
  const updated = `${readme.slice(0, start + START_MARKER.length)}\n${section}\n${readme.slice(end)}`;
  fs.writeFileSync(README, updated);
  return true;
}

function describeRun(report: BenchReport): string {
  const { machine, load } = report;
  const when = report.startedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  return (
    `Measured ${when} on commit \`${report.commit}\`: Node ${machine.node}, ${machine.platform}, ` +
    `${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, load average ${machine.loadAverageAtStart} at start, ` +
    `${machine.loadAverageAtEnd} at end. autocannon with ${load.connections} connections, ` +
    `${load.warmupSeconds} s warm-up then ${load.durationSeconds} s measured per server; each server runs alone, in its own process.` +
    (report.scenarios.some((r) => r.kind === 'collab')
      ? ' Collab: HocuspocusProviders over `ws` in 4 client processes; fan-out runs 5 trials per server, ' +
        'interleaved ours/plain/plain/ours/ours/plain/… with both running, ' +
        `each 2 warm-up rounds then ${load.durationSeconds} s measured, ` +
        'each client editing every 250 ms (every 1 s past 20 clients, 2 s past 50), latencies pooled per server; ' +
        'latency is receipt time − send time on one shared clock, lost updates are expected receipts − distinct receipts.'
      : '')
  );
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? Math.round((numerator / denominator) * 1000) / 1000 : Number.POSITIVE_INFINITY;
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
const fmtInt = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(2);

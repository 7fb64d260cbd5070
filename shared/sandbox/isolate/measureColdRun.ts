/**
 * Latency of `1+1` through IsolateBackend, each run in a fresh isolate (prepared in advance by its worker):
 * `node --import tsx shared/sandbox/isolate/measureColdRun.ts [runs] [workers]`. A measurement, not a test.
 */
import { createLogger } from '../../logger.ts';
import { IsolateBackend } from './IsolateBackend.ts';

const runs = Number(process.argv[2] ?? 200);
const workers = Number(process.argv[3] ?? 2);
const WARM_UP_RUNS = 10;
const limits = {
  wallTimeMs: 5_000,
  cpuSeconds: 5,
  memoryBytes: 128 * 1024 * 1024,
  outputBytes: 65_536,
  processes: 64,
  openFiles: 64,
  fileBytes: 10_485_760,
};

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

const backend = new IsolateBackend({ workers, log: createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false }) });
const startedAt = performance.now();
await backend.start();
const startMs = performance.now() - startedAt;
const durations: number[] = [];
for (let i = 0; i < WARM_UP_RUNS + runs; i++) {
  const result = await backend.run({ language: 'javascript', code: '1+1', stdin: '', limits });
  if (result.exitCode !== 0) throw new Error(`run ${i} failed: ${JSON.stringify(result)}`);
  if (i >= WARM_UP_RUNS) durations.push(result.durationMs);
}
await backend.close();
durations.sort((a, b) => a - b);
const format = (ms: number) => ms.toFixed(2);
process.stdout.write(
  `start (${workers} workers) ${format(startMs)} ms; ${runs} sequential runs of 1+1: ` +
    `p50 ${format(percentile(durations, 0.5))} p90 ${format(percentile(durations, 0.9))} ` +
    `p99 ${format(percentile(durations, 0.99))} min ${format(durations[0]!)} ms\n`,
);

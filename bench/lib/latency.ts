import type { Measurement } from './types.ts';

/** Mean, nearest-rank percentiles and max of latencies in ms (any order), rounded to µs. */
export function summarize(latencies: number[]): Measurement['latencyMs'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (fraction: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length)),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/**
 * Latencies (ms each) of one client as a Measurement: over `durationSeconds` of measured load when the run was
 * timed that way, or — long operations measured a few times — over the sum of the runs.
 */
export function measurementOfRuns(label: string, latencies: number[], durationSeconds?: number): Measurement {
  const seconds = durationSeconds ?? latencies.reduce((sum, ms) => sum + ms, 0) / 1000;
  return {
    label,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: summarize(latencies),
    requests: latencies.length,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: seconds,
    connections: 1,
  };
}

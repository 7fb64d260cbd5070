import autocannon from 'autocannon';
import type { LoadSettings, Measurement } from './types.ts';

/** One HTTP request, replayed on every connection for the whole run. */
export interface HttpTarget {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
}

/** Drives the target for the warm-up (discarded), then for the measured run, and summarizes the latter. */
export async function measureHttp(label: string, target: HttpTarget, load: LoadSettings): Promise<Measurement> {
  await fire(target, load.connections, load.warmupSeconds);
  const latencies: number[] = [];
  const result = await fire(target, load.connections, load.durationSeconds, latencies);
  latencies.sort((a, b) => a - b);
  const measurement: Measurement = {
    label,
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: {
      mean: round(latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length), 3),
      p50: round(percentile(latencies, 0.5), 3),
      p90: round(percentile(latencies, 0.9), 3),
      p99: round(percentile(latencies, 0.99), 3),
      max: round(latencies.at(-1) ?? 0, 3),
    },
    requests: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    connections: result.connections,
  };
  if (measurement.non2xx > 0 || measurement.errors > 0 || measurement.requests === 0) {
    throw new Error(
      `${label}: invalid run (${measurement.requests} responses, ${measurement.non2xx} non-2xx, ${measurement.errors} errors): ` +
        'the figures would measure failures, not the endpoint',
    );
  }
  return measurement;
}

/**
 * One autocannon run. When `latencies` is given, every response's own duration is collected:
 * autocannon's histogram only resolves whole milliseconds, which flattens a sub-millisecond baseline.
 */
function fire(target: HttpTarget, connections: number, durationSeconds: number, latencies?: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: target.method ?? 'GET',
        headers: target.headers,
        body: target.body,
        connections,
        duration: durationSeconds,
      },
      // @types/autocannon types the error as any; autocannon passes an Error or null.
      (error: Error | null, result) => (error ? reject(error) : resolve(result)),
    );
    // autocannon 9 emits (client, statusCode, resBytes, responseTime); @types/autocannon omits the client.
    if (latencies) instance.on('response', (...args: unknown[]) => latencies.push(Number(args.at(-1))));
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

import { measurementOfRuns } from './latency.ts';
import type { LoadSettings, Measurement } from './types.ts';

/**
 * Runs `once` again and again, one at a time, for the warm-up and then the measured seconds: the measured
 * latencies as a one-connection Measurement. `prepare` runs before each call, outside the timing.
 */
export async function repeat(
  label: string,
  load: LoadSettings,
  once: () => Promise<unknown>,
  prepare: () => Promise<void> = async () => undefined,
): Promise<Measurement> {
  const runFor = async (seconds: number) => {
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1_000;
    while (performance.now() < until) {
      await prepare();
      const started = performance.now();
      await once();
      latencies.push(performance.now() - started);
    }
    return latencies;
  };
  await runFor(load.warmupSeconds);
  const latencies = await runFor(load.durationSeconds);
  return measurementOfRuns(label, latencies, load.durationSeconds);
}

import { measurementOfRuns, summarize } from './latency.ts';
import type { LoadSettings, Measurement } from './types.ts';

/** Times one call of `once`, after `prepare` (outside the timing): its latency in ms. */
async function timedCall(once: () => Promise<unknown>, prepare: () => Promise<void>): Promise<number> {
  await prepare();
  const started = performance.now();
  await once();
  return performance.now() - started;
}

const nothing = async () => undefined;

/**
 * Runs `once` again and again, one at a time, for the warm-up and then the measured seconds: the measured
 * latencies as a one-connection Measurement. `prepare` runs before each call, outside the timing.
 */
export async function repeat(
  label: string,
  load: LoadSettings,
  once: () => Promise<unknown>,
  prepare: () => Promise<void> = nothing,
): Promise<Measurement> {
  const runFor = async (seconds: number) => {
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1_000;
    while (performance.now() < until) latencies.push(await timedCall(once, prepare));
    return latencies;
  };
  await runFor(load.warmupSeconds);
  const latencies = await runFor(load.durationSeconds);
  return measurementOfRuns(label, latencies, load.durationSeconds);
}

/** One of the things an interleaved run measures. */
export interface Contender {
  label: string;
  /** One call: what is timed. */
  once: () => Promise<unknown>;
  /** Runs before each call, outside the timing (new bytes for the next upload). */
  prepare?: () => Promise<void>;
  /** Run before and after each measured round of this contender's calls, outside the timing (reading a server's counters). */
  beforeRound?: () => Promise<void>;
  afterRound?: () => Promise<void>;
}

/** What an interleaved run measured of one contender. */
export interface InterleavedResult {
  measurement: Measurement;
  /** The measured latencies (ms) of each round, in order: for figures over parts of the run. */
  rounds: number[][];
}

/**
 * Measures contenders turn about, one call at a time: rounds of `callsPerRound` calls of each, in the
 * order A B C, then C B A, then A B C… (so none always follows the same one), for `load.warmupSeconds`
 * of warm-up and then `load.durationSeconds` per contender of measuring. A machine that gets busier
 * part-way through slows every contender alike instead of whichever ran last, so their ratio holds.
 * Each contender gets the same number of calls; its Measurement's duration is the sum of its own latencies.
 */
export async function interleave(load: LoadSettings, contenders: Contender[], callsPerRound = 3): Promise<InterleavedResult[]> {
  const rounds: number[][][] = contenders.map(() => []);
  const runFor = async (seconds: number, isMeasured: boolean) => {
    const until = performance.now() + seconds * 1_000;
    for (let round = 0; performance.now() < until; round++) {
      const order = contenders.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const contender = contenders[i]!;
        const latencies: number[] = [];
        if (isMeasured) await contender.beforeRound?.();
        for (let call = 0; call < callsPerRound; call++) latencies.push(await timedCall(contender.once, contender.prepare ?? nothing));
        if (isMeasured) {
          await contender.afterRound?.();
          rounds[i]!.push(latencies);
        }
      }
    }
  };
  await runFor(load.warmupSeconds, false);
  await runFor(load.durationSeconds * contenders.length, true);
  return contenders.map((contender, i) => ({ measurement: measurementOfRuns(contender.label, rounds[i]!.flat()), rounds: rounds[i]! }));
}

/**
 * The p50 ratio of `subject` to `baseline` in each of `parts` consecutive slices of an interleaved run,
 * rounded to two decimals: whether the ratio held while the machine's load changed.
 */
export function p50RatioByPart(subject: InterleavedResult, baseline: InterleavedResult, parts = 5): number[] {
  const count = Math.min(subject.rounds.length, baseline.rounds.length);
  const ratios: number[] = [];
  for (let part = 0; part < parts; part++) {
    const from = Math.floor((part * count) / parts);
    const to = Math.floor(((part + 1) * count) / parts);
    if (to <= from) continue;
    const p50 = (result: InterleavedResult) => summarize(result.rounds.slice(from, to).flat()).p50;
    ratios.push(Math.round((p50(subject) / p50(baseline)) * 100) / 100);
  }
  return ratios;
}

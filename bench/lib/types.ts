/** How hard and how long each server is driven. The same settings apply to every scenario of a run. */
export interface LoadSettings {
  /** Concurrent keep-alive connections the load generator holds open. */
  connections: number;
  /** Seconds of load before measuring (JIT, connection pools, caches); discarded. */
  warmupSeconds: number;
  /** Seconds of measured load. */
  durationSeconds: number;
}

/** What one measured run against one server found. Latencies are in milliseconds. */
export interface Measurement {
  /** Which server was driven, in words. */
  label: string;
  /** Mean of the per-second request counts (autocannon's "Req/Sec avg"). */
  requestsPerSecond: number;
  /** Latency percentiles from every response's own timing (sub-millisecond, unlike autocannon's histogram). */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Responses received during the measured run. */
  requests: number;
  /** Responses outside 2xx: any makes the run invalid, since a fast error is not a fast answer. */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  durationSeconds: number;
  connections: number;
  /** Collab: edits some client never received (expected receipts − distinct receipts). */
  lostUpdates?: number;
}

/**
 * What a scenario promises: its subject keeps at least this share of the baseline's throughput, within
 * this p99 factor, losing at most this many updates. Only the targets given are checked; a scenario
 * with none reports its figures.
 */
export interface Targets {
  /** subject req/s ÷ baseline req/s must be at least this. */
  minThroughputRatio?: number;
  /** subject p99 ÷ baseline p99 must be under this (`<=` when `p99RatioInclusive`). */
  maxP99Ratio?: number;
  /** The p99 target reads "within" (<=) rather than "under" (<). */
  p99RatioInclusive?: boolean;
  /** Collab: the subject's lost updates must be at most this. */
  maxLostUpdates?: number;
  /** subject p50 ÷ baseline p50 must be at most this (a sandboxed run against the bare interpreter). */
  maxP50Ratio?: number;
}

/** What a scenario's run measured: its subject, its baseline, and figures that have no baseline ratio. */
export interface ScenarioFigures {
  subject: Measurement;
  baseline: Measurement;
  /** One line each, for the reports (memory per document and the like). */
  notes?: string[];
  /** Checks on figures of the run itself rather than a ratio (a p50 goal in ms, the API's own p99 under load). */
  checks?: TargetCheck[];
}

/**
 * One benchmark: a subject (the real thing) measured against a baseline (the least the same answer
 * can cost) in the same run, on the same machine. `run` brings up whatever it needs, measures both
 * one after the other, and cleans up after itself even when it fails.
 */
export interface Scenario {
  /** Stable, kebab-case; used on the command line and in result files. */
  id: string;
  /** `http` (default): autocannon against a REST endpoint; `collab`: WebSocket clients on a collab server. */
  kind?: 'http' | 'collab';
  /** What is measured, for the reports. */
  title: string;
  targets: Targets;
  /** How long `run` takes, for the progress line; default a warm-up and a measured run per server. */
  approximateSeconds?(load: LoadSettings): number;
  run(load: LoadSettings): Promise<ScenarioFigures>;
}

/** One target checked against a scenario's figures. */
export interface TargetCheck {
  name:
    | 'throughput ratio'
    | 'p99 ratio'
    | 'lost updates'
    | 'p50 ratio'
    | 'p50 ms'
    | 'healthz p99 ms'
    | 'real-time factor'
    | 'cold start p50 ms';
  /** e.g. `>= 0.3`, `< 4`. */
  target: string;
  actual: number;
  pass: boolean;
}

/** A scenario's figures and verdicts, as stored in the result file. */
export interface ScenarioResult {
  id: string;
  title: string;
  kind: 'http' | 'collab';
  subject: Measurement;
  baseline: Measurement;
  throughputRatio: number;
  p99Ratio: number;
  checks: TargetCheck[];
  notes?: string[];
  pass: boolean;
}

/** Everything one `npm run bench` produced: `bench/results/<timestamp>.json`. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  /** `git describe`-style commit of the code measured, `+dirty` when the tree had changes. */
  commit: string;
  machine: {
    node: string;
    platform: string;
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    /** 1-minute load average when the run started: other work on the machine skews every figure. */
    loadAverageAtStart: number;
    /** 1-minute load average when the run ended. */
    loadAverageAtEnd: number;
  };
  load: LoadSettings;
  scenarios: ScenarioResult[];
  pass: boolean;
}

/**
 * The contract between the chaos runner (`npm run chaos`, ops/chaos/run.ts), the short version in
 * `npm test` (ops/chaos/chaos.test.ts) and each scenario (ops/chaos/scenarios/<id>.ts).
 *
 * A scenario builds its rig once (`setup`), then runs one drill after another on it: each drill starts
 * a steady load of writers (REST messages, collab edits: whatever the scenario exercises, each recording
 * what was acknowledged), injects its fault, waits for the product to recover, stops the load and checks
 * every acknowledged write in the database. A drill leaves the rig ready for the next one (the killed
 * node rejoined, the cut link healed); `close` removes everything the rig made, even after a failure.
 */
/** A first-write goal other than the hard loss's 10 s: see Scenario.firstWriteGoal. */
export type FirstWriteGoal = 'fencing-first';

export interface Scenario {
  /** Kebab-case name used on the command line and in results: `primary-kill`, `region-kill`… */
  id: string;
  /** One line for the README table and the progress output. */
  title: string;
  /**
   * What the fault → first write time is held to: under FAILOVER_GOAL_MS (the 10 s from the hard
   * loss of the primary) by default; `fencing-first` where the promotion must wait for the old primary to
   * fence itself (a partition: its processes live on), so the time is reported, and the fencing order checked.
   */
  firstWriteGoal?: FirstWriteGoal;
  setup(log: ChaosLog): Promise<ScenarioRig>;
}

export interface ScenarioRig {
  /** Runs drill number `drill` (from 1) and reports what it measured. Throws only when the rig broke. */
  drill(drill: number): Promise<DrillResult>;
  close(): Promise<void>;
}

/** Progress lines for the operator (the runner prefixes the scenario and drill). */
export type ChaosLog = (line: string) => void;

/**
 * What one drill measured. Times are milliseconds from the moment the fault was injected; a time
 * that does not apply to the scenario (no promotion when a collab node dies) is left out.
 */
export interface DrillResult {
  /** The fault was noticed: the monitor marked the node unhealthy, or a client first saw an error. */
  detectionMs?: number;
  /** A new primary was promoted (the monitor's event, or the first probe that found it writable). */
  promotionMs?: number;
  /** The first write acknowledged through the API (or the collab server) after the fault. */
  firstWriteMs?: number;
  /** Writes (messages, edits) the product acknowledged during the drill. */
  acknowledged: number;
  /** Acknowledged writes missing from the database afterwards: must be 0. */
  lostAcknowledged: number;
  /** The most nodes seen taking writes at the same moment: must be at most 1. */
  maxPrimaries: number;
  /**
   * Client operations attempted and those that succeeded, counting the client's own retries (a 503 with
   * Retry-After retried with the same Idempotency-Key until it succeeds or the client's budget runs out).
   */
  operations: { attempted: number; succeeded: number };
  /** Answers the product must never give (a 500, a write accepted by a fenced primary…), described. */
  violations: string[];
  /** Anything else worth printing (the scenario's own figures), shown in the JSON and the progress line. */
  notes?: Record<string, number | string | boolean>;
}

/** One scenario's figures over its drills, as written to ops/chaos/results/latest.json. */
export interface ScenarioSummary {
  scenario: string;
  title: string;
  drills: number;
  /** Fault → first write accepted (firstWriteMs), the figure the 10 s goal is about. */
  failoverMs: { median: number; max: number } | null;
  /** Scenario.firstWriteGoal, when it has one. */
  firstWriteGoal?: FirstWriteGoal;
  detectionMs: { median: number; max: number } | null;
  promotionMs: { median: number; max: number } | null;
  acknowledged: number;
  lostAcknowledged: number;
  maxPrimaries: number;
  /** succeeded / attempted over every drill, 0–1. */
  availability: number;
  violations: string[];
  notes: Array<Record<string, number | string | boolean>>;
}

/**
 * The contract every code execution backend keeps. A backend runs untrusted code somewhere that is
 * not this process — an isolate in a worker process, a bubblewrap sandbox, a container — and answers
 * with what the program printed and which limit, if any, stopped it. Nothing a program does may throw
 * out of `run`: a crash, a bomb or a timeout is a result; only the backend's own failure (its engine
 * is missing, a worker cannot start) rejects.
 */

export const LANGUAGES = ['javascript', 'typescript', 'python', 'ruby', 'go', 'bash'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Which limit ended a run early; null when the program ended on its own (whatever its exit code). */
export type LimitHit = 'time' | 'memory' | 'output' | 'processes';

/** Everything a run may use. Backends enforce every field they can and say in their README which they cannot. */
export interface SandboxLimits {
  /** Wall time from start to kill, in ms; a compile step (Go, TypeScript) counts. */
  wallTimeMs: number;
  /** CPU time, in seconds (processes). */
  cpuSeconds: number;
  /** Memory, in bytes (isolate heap, address space and memory cgroup). */
  memoryBytes: number;
  /** Output kept per stream, in bytes; past it the stream is cut and flagged, and the run is stopped (`output`). */
  outputBytes: number;
  /** Processes and threads at once. */
  processes: number;
  /** Open files per process. */
  openFiles: number;
  /** Largest file written, in bytes; also the size of the run's private /tmp. */
  fileBytes: number;
}

export interface RunRequest {
  language: Language;
  code: string;
  /** Fed to the program's standard input, then closed. */
  stdin: string;
  limits: SandboxLimits;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** The program's exit code; null when it was killed (see `signal`) or never ran. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL` when a limit did), or null. */
  signal: string | null;
  /** Wall time of the whole run as the caller waited for it, compile and transpile steps included, in ms. */
  durationMs: number;
  limit: LimitHit | null;
  truncated: { stdout: boolean; stderr: boolean };
}

/** What a backend runs, as `/api/code/languages` shows it. */
export interface LanguageRuntime {
  language: Language;
  /** The runtime's own version, e.g. `3.11.2` for Python or V8's for JavaScript. */
  version: string;
}

export interface SandboxBackend {
  /** Recorded with every run: `isolated-vm`, `bubblewrap` or `docker`. */
  readonly name: string;
  /** The languages this backend runs here and now (a missing interpreter leaves its language out). */
  runtimes(): Promise<LanguageRuntime[]>;
  /** Starts workers, warms caches; idempotent. */
  start(): Promise<void>;
  run(request: RunRequest): Promise<RunResult>;
  /** Kills what still runs and frees what the backend holds (workers, cgroups); idempotent. */
  close(): Promise<void>;
}

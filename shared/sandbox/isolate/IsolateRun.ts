import { performance } from 'node:perf_hooks';
import { OutputCollector } from '../OutputCollector.ts';
import type { LimitHit } from '../types.ts';
import { ENTER_STATUS, type EnterArguments, type PreparedIsolate, type RunHooks } from './PreparedIsolate.ts';

/** A program may keep this many timers pending; past it setTimeout throws, so the worker's heap stays bounded. */
const MAX_PENDING_TIMERS = 10_000;
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface RunSettings {
  /** JavaScript (TypeScript already stripped). */
  code: string;
  stdin: string;
  /** performance.now() at which the run is stopped (limit 'time'). */
  deadline: number;
  outputBytes: number;
}

export interface RunEnd {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  limit: LimitHit | null;
  truncated: { stdout: boolean; stderr: boolean };
}

/**
 * One program in one prepared isolate, on the worker's side. It ends when the script and the promise
 * it left (top-level await) have settled and no timer is pending; when something throws uncaught
 * (exit 1); or when a limit is hit. Timers are the worker's own setTimeout: one due past the deadline is
 * never armed, and when only such timers are left the run ends at once as a timeout, since the program
 * could do nothing else before it is stopped.
 */
export class IsolateRun implements RunHooks {
  private readonly stdout: OutputCollector;
  private readonly stderr: OutputCollector;
  /** Pending timers: the worker's handle, or null for one due past the deadline. */
  private readonly timers = new Map<number, NodeJS.Timeout | null>();
  private entriesInFlight = 0;
  private topLevel: 'running' | 'pending' | 'settled' = 'running';
  private deadlineTimer: NodeJS.Timeout | undefined;
  private isEnded = false;
  private resolveEnd: (end: RunEnd) => void = () => undefined;

  constructor(
    private readonly prepared: PreparedIsolate,
    private readonly settings: RunSettings,
  ) {
    this.stdout = new OutputCollector(settings.outputBytes, () => this.end(null, 'output'));
    this.stderr = new OutputCollector(settings.outputBytes, () => this.end(null, 'output'));
  }

  execute(): Promise<RunEnd> {
    const ended = new Promise<RunEnd>((resolve) => (this.resolveEnd = resolve));
    this.prepared.hooks = this;
    // The isolate's own timeout covers each entry; this one covers the gaps between them and any
    // code that escapes a per-call timeout (disposing the isolate stops whatever runs in it).
    this.deadlineTimer = setTimeout(() => this.end(null, 'time'), Math.max(0, this.settings.deadline - performance.now()));
    this.enter(['main', this.settings.code, this.settings.stdin, this.settings.outputBytes + 1], (status) => {
      if (status === ENTER_STATUS.ok) this.topLevel = 'settled';
      // settled() may already have come, from a microtask run before the entry returned.
      else if (this.topLevel === 'running') this.topLevel = 'pending';
    });
    return ended;
  }

  write(stream: 1 | 2, text: string): void {
    if (!this.isEnded) (stream === 2 ? this.stderr : this.stdout).push(text);
  }

  schedule(id: number, delayMs: number): boolean {
    if (this.isEnded) return false;
    if (!this.timers.has(id) && this.timers.size >= MAX_PENDING_TIMERS) return false;
    this.cancel(id);
    const delay = Math.min(Math.max(1, Math.floor(delayMs) || 1), LONGEST_TIMER_MS);
    const isPastDeadline = performance.now() + delay >= this.settings.deadline;
    this.timers.set(id, isPastDeadline ? null : setTimeout(() => this.fire(id), delay));
    return true;
  }

  cancel(id: number): void {
    const handle = this.timers.get(id);
    if (handle) clearTimeout(handle);
    this.timers.delete(id);
  }

  settled(failed: boolean): void {
    this.topLevel = 'settled';
    if (failed) this.end(1, null);
  }

  private fire(id: number): void {
    // An interval is armed again by the prelude, through schedule(), while its callback runs.
    this.timers.delete(id);
    this.enter(['timer', id], () => undefined);
  }

  private enter(args: EnterArguments, onStatus: (status: number) => void): void {
    const remainingMs = this.settings.deadline - performance.now();
    if (remainingMs <= 0) return this.end(null, 'time');
    this.entriesInFlight++;
    this.prepared.enter.apply(undefined, args, { timeout: Math.ceil(remainingMs) }).then(
      (status) => {
        this.entriesInFlight--;
        if (this.isEnded) return;
        if (status === ENTER_STATUS.failed) return this.end(1, null);
        onStatus(status);
        this.endIfIdle();
      },
      (error: unknown) => {
        this.entriesInFlight--;
        this.endOnEngineError(error);
      },
    );
  }

  private endIfIdle(): void {
    if (this.isEnded || this.entriesInFlight > 0 || this.topLevel === 'running') return;
    if (this.timers.size > 0) {
      if ([...this.timers.values()].every((handle) => handle === null)) this.end(null, 'time');
      return;
    }
    if (this.topLevel === 'settled') return this.end(0, null);
    // Nothing can settle it any more: Node's own exit code for an unsettled top-level await.
    this.stderr.push("Warning: the program's top-level promise never settled and nothing was left to wait for\n");
    this.end(13, null);
  }

  private endOnEngineError(error: unknown): void {
    if (this.isEnded) return;
    const message = error instanceof Error ? error.message : String(error);
    if (/memory limit/i.test(message)) return this.end(null, 'memory');
    if (/timed out/i.test(message)) return this.end(null, 'time');
    this.stderr.push(`The sandbox stopped the program: ${message}\n`);
    this.end(null, null);
  }

  private end(exitCode: number | null, limit: LimitHit | null): void {
    if (this.isEnded) return;
    this.isEnded = true;
    clearTimeout(this.deadlineTimer);
    for (const handle of this.timers.values()) if (handle) clearTimeout(handle);
    this.timers.clear();
    // Stops the program at once, even from inside one of its own callbacks (an output flood).
    this.prepared.dispose();
    this.resolveEnd({
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      exitCode: limit === null ? exitCode : null,
      limit,
      truncated: { stdout: this.stdout.truncated, stderr: this.stderr.truncated },
    });
  }
}

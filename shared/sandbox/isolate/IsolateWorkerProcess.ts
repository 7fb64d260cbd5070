import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logger.ts';
import type { RunResult } from '../types.ts';
import { forkIsolateWorker, OUT_OF_MEMORY, StderrTail } from './forkIsolateWorker.ts';
import { isWorkerMessage, type WorkerMessage, type WorkerReady, type WorkerRunRequest } from './protocol.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./isolateWorker.ts', import.meta.url));

/** A run's result as the worker (or its death) decided it; the backend adds the duration. */
/** How a run ended; `neverStarted` when the worker was gone before the run reached it (the caller may retry it elsewhere). */
export type WorkerRunOutcome = Omit<RunResult, 'durationMs'> & { neverStarted?: true };

interface RunInFlight {
  id: number;
  resolve: (outcome: WorkerRunOutcome) => void;
  backstop: NodeJS.Timeout;
  /** The worker said it received the run. */
  started: boolean;
}

/**
 * One forked isolate worker, seen from the API process. It never loads isolated-vm here. A run that
 * the worker does not answer in time, or that is in flight when the worker dies, still ends as a
 * result: `time` with SIGKILL for the first, an error (or `memory` when the worker's last words were
 * an out-of-memory) for the second.
 */
export class IsolateWorkerProcess {
  private child: ChildProcess | null = null;
  private readonly stderr = new StderrTail();
  private inFlight: RunInFlight | null = null;
  private nextRunId = 1;
  private isDead = false;
  /** It answered 'ready' once. */
  hasStarted = false;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => undefined;

  constructor(
    private readonly log: Logger,
    private readonly onExit: (worker: IsolateWorkerProcess) => void,
    /** The uid (and gid) the worker runs as, when this process may switch (it runs as root); else its own. */
    private readonly uid?: number,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** False once the worker died or was killed: it takes no more runs. */
  get isUsable(): boolean {
    return !this.isDead && this.child?.connected === true;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Forks the worker and resolves when it has loaded isolated-vm and prepared its first isolate. */
  start(): Promise<WorkerReady> {
    const { child, ready } = forkIsolateWorker({
      entry: WORKER_ENTRY,
      // module.stripTypeScriptTypes warns once that it is experimental.
      execArgv: ['--disable-warning=ExperimentalWarning'],
      uid: this.uid,
      label: 'isolate worker',
      isReady: (message): message is WorkerReady => isWorkerMessage(message) && message.type === 'ready',
      onMessage: (message) => {
        if (isWorkerMessage(message)) this.onMessage(message);
      },
      onClose: (code, signal) => this.onChildExit(code, signal),
      stderr: this.stderr,
    });
    this.child = child;
    return ready.then(
      (message) => {
        this.hasStarted = true;
        return message;
      },
      (error: unknown) => {
        this.kill();
        throw error;
      },
    );
  }

  /** Runs one program; `backstopMs` after sending it, a worker that has not answered is killed. */
  run(request: Omit<WorkerRunRequest, 'type' | 'id'>, backstopMs: number): Promise<WorkerRunOutcome> {
    const id = this.nextRunId++;
    this.stderr.text = '';
    return new Promise((resolve) => {
      if (!this.child || !this.isUsable) return resolve({ ...lostRun(null, 'the worker was not running'), neverStarted: true });
      const backstop = setTimeout(() => {
        this.log.warn({ pid: this.pid, backstopMs }, 'isolate worker did not answer in time; killing it');
        this.finishRun(id, { ...timeLimit(), signal: 'SIGKILL' });
        this.kill();
      }, backstopMs);
      this.inFlight = { id, resolve, backstop, started: false };
      this.child.send({ type: 'run', id, ...request } satisfies WorkerRunRequest, (error) => {
        if (!error) return;
        this.finishRun(id, { ...lostRun(null, `it could not be sent to the worker (${error.message})`), neverStarted: true });
        this.kill();
      });
    });
  }

  kill(): void {
    this.isDead = true;
    this.child?.kill('SIGKILL');
  }

  /** Kills the worker and waits until it is gone. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.kill();
    await this.exited;
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'started' && this.inFlight?.id === message.id) this.inFlight.started = true;
    if (message.type !== 'result') return;
    const { id, stdout, stderr, exitCode, limit, truncated } = message;
    this.finishRun(id, { stdout, stderr, exitCode, signal: null, limit, truncated });
  }

  private finishRun(id: number, outcome: WorkerRunOutcome): void {
    // A late answer from a run the backstop already ended belongs to nobody.
    if (this.inFlight?.id !== id) return;
    clearTimeout(this.inFlight.backstop);
    this.inFlight.resolve(outcome);
    this.inFlight = null;
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.isDead = true;
    const isOutOfMemory = OUT_OF_MEMORY.test(this.stderr.text);
    if (this.inFlight && !this.inFlight.started) {
      // Killed before the run reached it (an idle worker killed from outside): the program never ran.
      this.finishRun(this.inFlight.id, { ...lostRun(signal, 'the worker stopped before it began'), neverStarted: true });
    } else if (this.inFlight) {
      // An out-of-memory is the program's limit, not a signal sent to it.
      const outcome = isOutOfMemory
        ? { ...lostRun(null, 'the worker ran out of memory'), limit: 'memory' as const }
        : lostRun(signal, `the worker stopped (${signal ?? `exit code ${code}`})`);
      this.finishRun(this.inFlight.id, outcome);
    }
    const stderr = this.stderr.text.trim() || undefined;
    this.log[stderr ? 'warn' : 'info']({ pid: this.child?.pid, code, signal, isOutOfMemory, stderr }, 'isolate worker exited');
    this.markExited();
    this.onExit(this);
  }
}

function timeLimit(): WorkerRunOutcome {
  return { stdout: '', stderr: '', exitCode: null, signal: null, limit: 'time', truncated: { stdout: false, stderr: false } };
}

function lostRun(signal: string | null, why: string): WorkerRunOutcome {
  const stderr = `The sandbox lost this run: ${why}.\n`;
  return { stdout: '', stderr, exitCode: null, signal, limit: null, truncated: { stdout: false, stderr: false } };
}

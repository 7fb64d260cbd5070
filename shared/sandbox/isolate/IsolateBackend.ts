/**
 * JavaScript and TypeScript in isolated-vm isolates, in a pool of worker processes. What a program sees
 * (console, `stdin` and `readLine()`, timers, top-level await) is described in isolatePrelude.js.
 *
 * Threat model. The program is hostile and knows it runs in V8.
 * Defended against:
 * - Reaching the host: an isolate has its own heap and only JavaScript's built-ins. There is no `require`,
 *   `process`, `import`/`import()` (isolated-vm answers "Not supported"), file, network, environment or
 *   process handle; `this.constructor.constructor('return process')()` builds a function in the isolate, where
 *   `process` does not exist. The only host objects are four callbacks held in the prelude's closure, which
 *   take strings and numbers and check them (see isolatePrelude.js). Workers are forked with an empty
 *   environment, so no secret of the API's is even in their memory.
 * - Running host code on the program's values: formatting for console, looking for `then` on the completion
 *   value and printing an uncaught error all run inside the isolate, under its timeout; only strings leave it.
 *   (isolated-vm copying a thrown value out would call its getters on the host side with no timeout.)
 * - Prototype pollution: each run gets a new isolate, so nothing a program changes outlives it, and nothing it
 *   changes lives in the host's heap.
 * - CPU: a per-call isolate timeout, a deadline in the worker that disposes the isolate (microtask loops,
 *   `Atomics.wait`), and here a backstop that SIGKILLs a worker which has not answered by the wall time plus
 *   a grace, then replaces it.
 * - Memory: the isolate's `memoryLimit`; ArrayBuffers count against it. `WebAssembly` is removed, because wasm
 *   memory is not counted (measured here: a 16 MiB isolate grew one to 4 GiB). An out-of-memory that takes the
 *   whole worker down ends the run as `memory` and the worker is replaced; the API process never loads
 *   isolated-vm.
 * - Output floods: each stream is capped and the run is stopped the moment a cap is passed.
 * Not defended against (the isolate is not a process sandbox; use the bubblewrap or Docker backend for that):
 * - A bug in V8 or isolated-vm that lets code out of the isolate: the worker is an ordinary process with the
 *   API's filesystem and network — though not root: when the API runs as root, workers run as `sandboxUid`.
 * - Timing side channels (SharedArrayBuffer and high-resolution timers are available) against other runs.
 * - CPU time as distinct from wall time: the wall limit bounds it (one isolate runs on one thread); `cpuSeconds`,
 *   `processes`, `openFiles` and `fileBytes` do not apply to an isolate.
 * - A worker that dies mid-run loses that run's output; the worker's own memory is not capped beyond V8's.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logger.ts';
import type { LanguageRuntime, RunRequest, RunResult, SandboxBackend } from '../types.ts';
import { IsolateWorkerProcess } from './IsolateWorkerProcess.ts';
import type { WorkerReady } from './protocol.ts';

/** isolated-vm refuses a smaller heap. */
const MIN_MEMORY_MIB = 8;
/** How long past the wall time a worker may take to answer (IPC, disposing an isolate) before it is killed. */
const BACKSTOP_GRACE_MS = 1_000;
const RESPAWN_RETRY_MS = 1_000;
/** Workers a run may be handed to when each dies before the program reaches it. */
const MAX_ATTEMPTS = 3;

export interface IsolateBackendOptions {
  /** Worker processes, each running one program at a time. */
  workers: number;
  /** When the API runs as root, the workers run as this unprivileged uid and gid instead. */
  sandboxUid?: number;
  log: Logger;
}

interface QueuedRun {
  request: RunRequest & { language: 'javascript' | 'typescript' };
  queuedAt: number;
  /** Workers that died before this run reached them. */
  attempts: number;
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

export class IsolateBackend implements SandboxBackend {
  readonly name = 'isolated-vm';
  private readonly log: Logger;
  private readonly workers = new Set<IsolateWorkerProcess>();
  private readonly idle: IsolateWorkerProcess[] = [];
  private readonly waiting: QueuedRun[] = [];
  private starting: Promise<void> | null = null;
  private versions: WorkerReady | null = null;
  /** All first workers came up: from now on a worker that dies is replaced. */
  private isStarted = false;
  private isClosed = false;

  constructor(private readonly options: IsolateBackendOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error('IsolateBackend needs at least one worker');
    this.log = options.log.child({ module: 'sandbox.isolate' });
  }

  /** Forks the workers; resolves when all are ready, rejects (and kills them) if one cannot start. */
  start(): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error('the isolate backend is closed'));
    this.starting ??= Promise.all(Array.from({ length: this.options.workers }, () => this.spawnWorker())).then(
      () => {
        this.isStarted = true;
      },
      async (error: unknown) => {
        this.starting = null;
        await Promise.all([...this.workers].map((worker) => worker.stop()));
        throw error;
      },
    );
    return this.starting;
  }

  async runtimes(): Promise<LanguageRuntime[]> {
    await this.start();
    const { v8, node } = this.versions!;
    return [
      { language: 'javascript', version: v8 },
      { language: 'typescript', version: `${v8} (types stripped by Node ${node})` },
    ];
  }

  async run(request: RunRequest): Promise<RunResult> {
    const queuedAt = performance.now();
    const { language } = request;
    if (language !== 'javascript' && language !== 'typescript') throw new Error(`the isolate backend does not run ${language}`);
    await this.start();
    if (this.isClosed) throw new Error('the isolate backend is closed');
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { ...request, language }, queuedAt, attempts: 0, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const queued of this.waiting.splice(0)) queued.reject(new Error('the isolate backend was closed'));
    await Promise.all([...this.workers].map((worker) => worker.stop()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      void this.runOn(this.idle.shift()!, this.waiting.shift()!);
    }
  }

  private async runOn(worker: IsolateWorkerProcess, queued: QueuedRun): Promise<void> {
    const { language, code, stdin, limits } = queued.request;
    const outcome = await worker.run(
      {
        language,
        code,
        stdin,
        wallTimeMs: Math.max(1, limits.wallTimeMs),
        memoryMiB: Math.max(MIN_MEMORY_MIB, Math.floor(limits.memoryBytes / (1024 * 1024))),
        outputBytes: limits.outputBytes,
      },
      limits.wallTimeMs + BACKSTOP_GRACE_MS,
    );
    const { neverStarted, ...result } = outcome;
    if (neverStarted && !this.isClosed && queued.attempts < MAX_ATTEMPTS) {
      // The worker died before the program reached it: the run goes first to the next worker, as if just queued.
      queued.attempts += 1;
      this.waiting.unshift(queued);
    } else {
      queued.resolve({ ...result, durationMs: performance.now() - queued.queuedAt });
    }
    if (worker.isUsable && !this.isClosed) this.idle.push(worker);
    this.dispatch();
  }

  private async spawnWorker(): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const worker = new IsolateWorkerProcess(this.log, (exited) => this.onWorkerExit(exited), asRoot ? this.options.sandboxUid : undefined);
    this.workers.add(worker);
    const ready = await worker.start();
    this.versions ??= ready;
    if (this.isClosed) return worker.stop();
    this.log.info({ pid: worker.pid }, 'isolate worker ready');
    this.idle.push(worker);
    this.dispatch();
  }

  private onWorkerExit(worker: IsolateWorkerProcess): void {
    this.workers.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    // One that never became ready is retried by replaceWorker() itself, or fails start().
    if (!this.isClosed && this.isStarted && worker.hasStarted) this.replaceWorker();
  }

  private replaceWorker(): void {
    this.spawnWorker().catch((error: unknown) => {
      this.log.error({ err: error }, 'isolate worker could not be replaced; retrying');
      // With no worker left, waiting callers would wait forever: that is the backend's failure, not theirs.
      if (this.workers.size === 0) {
        for (const queued of this.waiting.splice(0)) queued.reject(new Error('no isolate worker could be started'));
      }
      if (!this.isClosed) setTimeout(() => this.replaceWorker(), RESPAWN_RETRY_MS).unref();
    });
  }
}

/**
 * The plugin runtime: each tool invocation runs the plugin's bundled module in an isolated-vm isolate, in a
 * pool of worker processes, never in the API process. The plugin sees only the capabilities it was granted,
 * as `ctx` methods that call back to a `PluginHostCalls` bound to the invocation.
 *
 * Threat model. The plugin is hostile, knows it runs in V8, and may try to reach what it was not granted.
 * Defended against:
 * - Reaching the host: an isolate has its own heap and only JavaScript's built-ins; there is no `require`,
 *   `process`, `import()` (isolated-vm answers "Not supported") and a module with a static `import` is refused
 *   as `plugin_invalid`. `this.constructor.constructor('return process')()` builds a function in the isolate,
 *   where `process` does not exist. The one host object is a Reference to the worker's call handler, held in
 *   the prelude's closure (see pluginPrelude.js); it takes two strings and answers a string. Workers are forked
 *   with an empty environment and, when the API runs as root, as `sandboxUid`.
 * - Capabilities it was not granted: `ctx` has only the granted objects, and the API process checks every
 *   forwarded call against the plugin's permissions again (HostCallBridge): a worker is not trusted to enforce
 *   them. A refused call ends the invocation as `permission_denied`. `http.fetch` is also checked against the
 *   URL's host. Calls per invocation and their argument size are capped in the prelude, the worker and here.
 * - Leaks between invocations: each invocation gets a fresh context (its own globals and built-ins) in the
 *   plugin's isolate, with the module compiled from V8's code cache and evaluated again; nothing one call
 *   leaves on globalThis or a prototype is seen by the next. Different plugins never share an isolate.
 * - Running host code on the plugin's values: serialising the output, reading a thrown error's message and
 *   building capability arguments run inside the isolate under its limits; only strings leave it.
 * - CPU and waiting: the wall clock covers everything, host calls included: the worker disposes the isolate at
 *   the deadline (a loop, a microtask chain, an await on a call that never answers), and here a backstop
 *   SIGKILLs a worker that has not answered by the deadline plus a grace, then replaces it.
 * - Memory: each plugin's isolate has its `memoryLimit`; `WebAssembly` is removed (its memory is not counted).
 *   An out-of-memory that takes the whole worker down ends that invocation as `memory`; the worker is replaced.
 * - Output floods: the output is serialised and measured inside the isolate and refused past `outputBytes`
 *   before it is copied out; the worker checks the size again.
 * - Code a tool leaves running after it returned (a promise chain resumed by a host call's late answer runs
 *   with no isolate timeout): an idle isolate still using CPU is disposed by a watchdog, and one that cannot
 *   make the next invocation's context within 250 ms is replaced (that invocation starts cold).
 * Not defended against:
 * - A bug in V8 or isolated-vm that lets code out of the isolate: the worker is an ordinary process (though
 *   unprivileged when the API runs as root). Use the process sandbox layer if plugins must be contained further.
 * - Side channels between plugins sharing a worker (timing, SharedArrayBuffer).
 * - A slow host capability: its time counts against the plugin's timeout, and its `signal` aborts at the end.
 * - A worker's own memory beyond its isolates: it keeps at most 32 plugin versions warm (LRU, evicted by the host).
 *
 * Speed, and the trade-off taken. A plugin's isolate, prelude and code cache stay warm in the worker that ran it,
 * and its invocations go to that worker when it is idle. Each invocation still gets a fresh context and
 * evaluates the module again (compiled from the code cache, since an isolated-vm module instantiates in one
 * context only): ~0.8 ms (context 0.5, prelude 0.2, compile + instantiate + evaluate 0.2). Measured with
 * measureInvoke.ts on this 2-core machine under load: warm invocation p50 1.0 ms, cold start (new isolate)
 * p50 3.7 ms, REST round trip through Express p50 2.1 ms. That is well inside the 5 ms / 50 ms targets, so we
 * pay it rather than reuse a context, which would let one user's call see what another's left behind.
 */
// Nothing imported here may load isolated-vm: only the workers do (a test checks this process's memory maps).
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logger.ts';
import { grantedCapabilities } from './capabilityPermissions.ts';
import { HostCallBridge } from './HostCallBridge.ts';
import { PluginWorkerProcess, type WorkerOutcome } from './PluginWorkerProcess.ts';
import {
  DEFAULT_INVOKE_LIMITS,
  MIN_MEMORY_MIB,
  type InvokeError,
  type InvokeLimits,
  type InvokeRequest,
  type InvokeResult,
} from './types.ts';

/** How long past the timeout a worker may take to answer before it is killed. */
const BACKSTOP_GRACE_MS = 1_000;
const RESPAWN_RETRY_MS = 1_000;
/** Workers an invocation may be handed to when each dies before the invocation reaches it. */
const MAX_ATTEMPTS = 3;
const MAX_CALLS_PER_INVOCATION = 100;
const MAX_CALL_ARG_BYTES = 1024 * 1024;

export interface PluginRuntimeOptions {
  /** Worker processes, each running one invocation at a time. */
  workers: number;
  log: Logger;
  /** When the API runs as root, the workers run as this unprivileged uid and gid instead. */
  sandboxUid?: number;
  /** Limits for invocations that do not set their own. */
  defaults?: Partial<InvokeLimits>;
}

interface Job {
  request: InvokeRequest;
  key: string;
  limits: InvokeLimits;
  inputJson: string;
  queuedAt: number;
  attempts: number;
  /** Where it runs now, so the kill switch and a denied call can end it. */
  running: { worker: PluginWorkerProcess; invocationId: number } | null;
  /** Its capability bridge while it runs; closed the moment it is settled, so no host call starts after. */
  bridge: HostCallBridge | null;
  isSettled: boolean;
  resolve: (result: InvokeResult) => void;
}

export class PluginRuntime {
  private readonly log: Logger;
  private readonly defaults: InvokeLimits;
  private readonly workers = new Set<PluginWorkerProcess>();
  private readonly idle: PluginWorkerProcess[] = [];
  private readonly waiting: Job[] = [];
  private readonly running = new Set<Job>();
  private starting: Promise<void> | null = null;
  private isStarted = false;
  private isClosed = false;

  constructor(private readonly options: PluginRuntimeOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error('PluginRuntime needs at least one worker');
    this.log = options.log.child({ module: 'plugins.runtime' });
    this.defaults = { ...DEFAULT_INVOKE_LIMITS, ...options.defaults };
  }

  /** Forks the workers; resolves when all are ready. `invoke` calls it, so calling it is optional (it warms up). */
  start(): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error('the plugin runtime is closed'));
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

  /**
   * Runs one tool. Whatever the plugin does ends as a result; only the runtime's own failure (closed, no
   * worker can start) or an input that is not JSON rejects.
   */
  async invoke(request: InvokeRequest): Promise<InvokeResult> {
    const queuedAt = performance.now();
    const limits = this.limitsFor(request.limits);
    const inputJson = JSON.stringify(request.input ?? null);
    const { plugin } = request;
    // NUL separates the parts: no id contains it, so the kill switch can match an id's keys by prefix.
    const key = `${plugin.id}\0${plugin.version}\0${createHash('sha256').update(plugin.source).digest('base64url').slice(0, 22)}`;
    await this.start();
    if (this.isClosed) throw new Error('the plugin runtime is closed');
    return new Promise((resolve) => {
      this.waiting.push({ request, key, limits, inputJson, queuedAt, attempts: 0, running: null, bridge: null, isSettled: false, resolve });
      this.dispatch();
    });
  }

  /** The kill switch: running and queued invocations of the plugin end now as `plugin_disabled`; its warm state is dropped. */
  async stopPlugin(pluginId: string): Promise<void> {
    const disabled: InvokeError = { code: 'plugin_disabled', message: 'the plugin was stopped' };
    for (const job of [...this.waiting]) {
      if (job.request.plugin.id !== pluginId) continue;
      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.settle(job, { ok: false, error: disabled, coldStart: false });
    }
    for (const job of this.running)
      if (job.request.plugin.id === pluginId) this.settle(job, { ok: false, error: disabled, coldStart: false });
    const prefix = `${pluginId}\0`;
    for (const worker of this.workers) worker.drop(pluginId, (key) => key.startsWith(prefix));
    this.log.info({ pluginId }, 'plugin stopped');
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const closed: InvokeError = { code: 'worker_lost', message: 'the plugin runtime was closed' };
    for (const job of this.waiting.splice(0)) this.settle(job, { ok: false, error: closed, coldStart: false });
    await Promise.all([...this.workers].map((worker) => worker.stop()));
  }

  private limitsFor(overrides: Partial<InvokeLimits> = {}): InvokeLimits {
    const limits = { ...this.defaults, ...overrides };
    return {
      timeoutMs: Math.max(1, Math.floor(limits.timeoutMs)),
      memoryMiB: Math.max(MIN_MEMORY_MIB, Math.floor(limits.memoryMiB)),
      outputBytes: Math.max(16, Math.floor(limits.outputBytes)),
    };
  }

  /** Hands queued invocations to idle workers, preferring one that has the plugin warm. */
  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      const warmIndex = this.idle.findIndex((worker) => worker.isWarm(job.key));
      // A cold plugin goes to the idle worker used least recently, leaving recently warmed ones to theirs.
      const [worker] = this.idle.splice(warmIndex >= 0 ? warmIndex : 0, 1);
      void this.runOn(worker!, job);
    }
  }

  private async runOn(worker: PluginWorkerProcess, job: Job): Promise<void> {
    const { plugin, tool, conversationId, host } = job.request;
    const bridge = (job.bridge = new HostCallBridge(
      plugin.permissions,
      host,
      { maxCalls: MAX_CALLS_PER_INVOCATION, maxArgBytes: MAX_CALL_ARG_BYTES },
      this.log,
      (error) => {
        this.log.warn(
          { pluginId: plugin.id, version: plugin.version, tool, reason: error.message },
          'plugin called a capability it was not granted',
        );
        // The worker is not trusted to stop the plugin: the caller gets its answer now, the worker is told to stop.
        this.settle(job, { ok: false, error, coldStart: false });
        if (job.running) job.running.worker.cancel(job.running.invocationId, error);
      },
    ));
    this.running.add(job);
    const outcome = worker.invoke(
      {
        key: job.key,
        pluginId: plugin.id,
        tool,
        inputJson: job.inputJson,
        grants: grantedCapabilities(plugin.permissions),
        conversationId,
        limits: { ...job.limits, maxCalls: MAX_CALLS_PER_INVOCATION, maxArgBytes: MAX_CALL_ARG_BYTES },
      },
      plugin.source,
      bridge,
      job.limits.timeoutMs + BACKSTOP_GRACE_MS,
    );
    job.running = { worker, invocationId: worker.runningInvocationId! };
    const ended = await outcome;
    job.running = null;
    this.running.delete(job);
    bridge.close();
    job.bridge = null;
    const canRetry = !this.isClosed && job.attempts < MAX_ATTEMPTS && !job.isSettled;
    if (!ended.ok && (('neverStarted' in ended && ended.neverStarted) || ended.error.code === 'not_loaded') && canRetry) {
      // The worker died before the invocation reached it, or forgot the plugin: it goes first to the next worker.
      job.attempts += 1;
      this.waiting.unshift(job);
    } else {
      this.settle(job, ended);
    }
    if (worker.isUsable && !this.isClosed) this.idle.push(worker);
    this.dispatch();
  }

  private settle(job: Job, outcome: WorkerOutcome): void {
    if (job.isSettled) return;
    job.isSettled = true;
    job.bridge?.close();
    const durationMs = performance.now() - job.queuedAt;
    if (!outcome.ok) {
      const error = outcome.error.code === 'not_loaded' ? { code: 'worker_lost' as const, message: outcome.error.message } : outcome.error;
      return job.resolve({ ok: false, error, durationMs, coldStart: outcome.coldStart });
    }
    let output: unknown;
    try {
      output = JSON.parse(outcome.outputJson);
    } catch {
      // Only a worker that is no longer ours would send this: the prelude serialised the output.
      return job.resolve({ ok: false, error: { code: 'invalid_output', message: 'the output is not JSON' }, durationMs, coldStart: false });
    }
    job.resolve({ ok: true, output, durationMs, coldStart: outcome.coldStart });
  }

  private async spawnWorker(): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const worker = new PluginWorkerProcess(this.log, (exited) => this.onWorkerExit(exited), asRoot ? this.options.sandboxUid : undefined);
    this.workers.add(worker);
    await worker.start();
    if (this.isClosed) return worker.stop();
    this.log.info({ pid: worker.pid }, 'plugin worker ready');
    this.idle.push(worker);
    this.dispatch();
  }

  private onWorkerExit(worker: PluginWorkerProcess): void {
    this.workers.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    if (!this.isClosed && this.isStarted && worker.hasStarted) this.replaceWorker();
  }

  private replaceWorker(): void {
    this.spawnWorker().catch((error: unknown) => {
      this.log.error({ err: error }, 'plugin worker could not be replaced; retrying');
      if (this.workers.size === 0) {
        const lost: InvokeError = { code: 'worker_lost', message: 'no plugin worker could be started' };
        for (const job of this.waiting.splice(0)) this.settle(job, { ok: false, error: lost, coldStart: false });
      }
      if (!this.isClosed) setTimeout(() => this.replaceWorker(), RESPAWN_RETRY_MS).unref();
    });
  }
}

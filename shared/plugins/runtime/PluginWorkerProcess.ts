import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logger.ts';
import type { HostCallBridge } from './HostCallBridge.ts';
import { isWorkerMessage, type HostMessage, type WorkerInvokeRequest, type WorkerMessage } from './protocol.ts';
import type { InvokeError } from './types.ts';
import { forkIsolateWorker, OUT_OF_MEMORY, StderrTail } from '../../sandbox/isolate/forkIsolateWorker.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./pluginWorker.ts', import.meta.url));
/** Plugin versions a worker keeps warm; past it the least recently used is evicted. */
const MAX_WARM_PLUGINS = 32;

/** How an invocation ended, seen from here; `neverStarted` when the worker was gone before it reached it. */
export type WorkerOutcome =
  | { ok: true; outputJson: string; coldStart: boolean }
  | { ok: false; error: InvokeError | { code: 'not_loaded'; message: string }; coldStart: boolean; neverStarted?: true };

interface InvocationInFlight {
  id: number;
  key: string;
  bridge: HostCallBridge;
  resolve: (outcome: WorkerOutcome) => void;
  backstop: NodeJS.Timeout;
  /** The worker said it received the invocation. */
  started: boolean;
}

/**
 * One forked plugin worker, seen from the API process (which never loads isolated-vm). It forwards the
 * invocation's capability calls to its HostCallBridge and keeps track of which plugin versions the worker
 * holds warm. An invocation the worker does not answer by the backstop ends as `timeout` and the worker
 * is killed; one in flight when the worker dies ends as `memory` (V8's last words were an out-of-memory)
 * or `worker_lost`.
 */
export class PluginWorkerProcess {
  private child: ChildProcess | null = null;
  private readonly stderr = new StderrTail();
  private inFlight: InvocationInFlight | null = null;
  private nextInvocationId = 1;
  private isDead = false;
  /** Keys the worker holds, least recently used first. */
  private readonly warm = new Set<string>();
  hasStarted = false;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => undefined;

  constructor(
    private readonly log: Logger,
    private readonly onExit: (worker: PluginWorkerProcess) => void,
    /** The uid (and gid) the worker runs as, when this process may switch (it runs as root). */
    private readonly uid?: number,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  get isUsable(): boolean {
    return !this.isDead && this.child?.connected === true;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The id of the invocation running now, if any. */
  get runningInvocationId(): number | null {
    return this.inFlight?.id ?? null;
  }

  isWarm(key: string): boolean {
    return this.warm.has(key);
  }

  /** Forks the worker and resolves when it has loaded isolated-vm. */
  start(): Promise<void> {
    const { child, ready } = forkIsolateWorker({
      entry: WORKER_ENTRY,
      uid: this.uid,
      label: 'plugin worker',
      isReady: (message): message is { type: 'ready' } => isWorkerMessage(message) && message.type === 'ready',
      onMessage: (message) => {
        if (isWorkerMessage(message)) this.onMessage(message);
      },
      onClose: (code, signal) => this.onChildExit(code, signal),
      stderr: this.stderr,
    });
    this.child = child;
    return ready.then(
      () => {
        this.hasStarted = true;
      },
      (error: unknown) => {
        this.kill();
        throw error;
      },
    );
  }

  /**
   * Runs one invocation. The source is sent only when the worker does not hold the plugin yet; `backstopMs`
   * after sending, a worker that has not answered is killed.
   */
  invoke(
    request: Omit<WorkerInvokeRequest, 'type' | 'id' | 'source' | 'evict'>,
    source: string,
    bridge: HostCallBridge,
    backstopMs: number,
  ): Promise<WorkerOutcome> {
    const id = this.nextInvocationId++;
    this.stderr.text = '';
    return new Promise((resolve) => {
      if (!this.child || !this.isUsable) return resolve({ ...lost('the worker was not running'), neverStarted: true });
      const isWarm = this.warm.delete(request.key);
      this.warm.add(request.key);
      const evict = [...this.warm].slice(0, Math.max(0, this.warm.size - MAX_WARM_PLUGINS));
      for (const key of evict) this.warm.delete(key);
      const backstop = setTimeout(() => {
        this.log.warn({ pid: this.pid, backstopMs }, 'plugin worker did not answer in time; killing it');
        this.finish(id, { ok: false, error: { code: 'timeout', message: 'the tool did not answer in time' }, coldStart: !isWarm });
        this.kill();
      }, backstopMs);
      this.inFlight = { id, key: request.key, bridge, resolve, backstop, started: false };
      const message: WorkerInvokeRequest = { type: 'invoke', id, ...request, ...(isWarm ? {} : { source }), evict };
      this.child.send(message, (error) => {
        if (!error) return;
        this.finish(id, { ...lost(`it could not be sent to the worker (${error.message})`), neverStarted: true });
        this.kill();
      });
    });
  }

  /** Ends invocation `invocationId` in the worker (its isolate is disposed); its answer still comes back. */
  cancel(invocationId: number, error: InvokeError): void {
    this.post({ type: 'cancel', invocationId, error });
  }

  /** The kill switch: the worker forgets every version of `pluginId`, ending a running invocation of it. */
  drop(pluginId: string, keys: (key: string) => boolean): void {
    for (const key of [...this.warm]) if (keys(key)) this.warm.delete(key);
    this.post({ type: 'drop', pluginId });
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

  private post(message: HostMessage): void {
    if (this.isUsable) this.child?.send(message);
  }

  private onMessage(message: WorkerMessage): void {
    const inFlight = this.inFlight;
    switch (message.type) {
      case 'started':
        if (inFlight?.id === message.id) inFlight.started = true;
        return;
      case 'call':
        if (inFlight?.id !== message.invocationId) return;
        void inFlight.bridge.handle(message.name, message.argsJson).then((reply) => {
          if (this.inFlight === inFlight) this.post({ type: 'callResult', invocationId: inFlight.id, callId: message.callId, ...reply });
        });
        return;
      case 'result':
        if (!message.ok && message.error.code === 'not_loaded' && inFlight?.id === message.id) this.warm.delete(inFlight.key);
        return this.finish(
          message.id,
          message.ok
            ? { ok: true, outputJson: message.outputJson, coldStart: message.coldStart }
            : { ok: false, error: message.error as InvokeError, coldStart: message.coldStart },
        );
    }
  }

  private finish(id: number, outcome: WorkerOutcome): void {
    // A late answer from an invocation the backstop already ended belongs to nobody.
    if (this.inFlight?.id !== id) return;
    clearTimeout(this.inFlight.backstop);
    this.inFlight.resolve(outcome);
    this.inFlight = null;
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.isDead = true;
    const isOutOfMemory = OUT_OF_MEMORY.test(this.stderr.text);
    if (this.inFlight && !this.inFlight.started) {
      this.finish(this.inFlight.id, { ...lost('the worker stopped before it began'), neverStarted: true });
    } else if (this.inFlight) {
      const outcome: WorkerOutcome = isOutOfMemory
        ? { ok: false, error: { code: 'memory', message: 'the plugin ran out of memory' }, coldStart: false }
        : lost(`the worker stopped (${signal ?? `exit code ${code}`})`);
      this.finish(this.inFlight.id, outcome);
    }
    const stderr = this.stderr.text.trim() || undefined;
    this.log[stderr ? 'warn' : 'info']({ pid: this.child?.pid, code, signal, isOutOfMemory, stderr }, 'plugin worker exited');
    this.markExited();
    this.onExit(this);
  }
}

function lost(why: string): Extract<WorkerOutcome, { ok: false }> {
  return { ok: false, error: { code: 'worker_lost', message: `the plugin runtime lost this invocation: ${why}` }, coldStart: false };
}

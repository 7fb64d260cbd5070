import { performance } from 'node:perf_hooks';
import ivm from 'isolated-vm';
import type { WorkerCallResult, WorkerInvokeRequest, WorkerInvokeResult } from './protocol.ts';
import type { InvokeError } from './types.ts';
import { BUSY_PROBE_MS, type WarmPlugin } from './WarmPlugin.ts';

const MAX_MESSAGE_CHARS = 1_000;

/** What the prelude's capability methods receive when a call is refused before it leaves the worker. */
function refusal(code: string, message: string): string {
  return 'e' + JSON.stringify({ code, message });
}

/**
 * One tool invocation on the worker's side: a fresh context in the plugin's isolate, the prelude, the
 * module compiled (from the code cache) and evaluated in that context, then the tool. Every step runs
 * under the time left; a deadline timer covers the gaps (the isolate awaiting a host call, a microtask
 * loop) by disposing the isolate. Capability calls go to the host over IPC; the answer comes back as a
 * string. Nothing of the context survives the invocation: the next one gets its own.
 */
export class PluginInvocation {
  private readonly deadline: number;
  private readonly pendingCalls = new Map<number, (reply: string) => void>();
  private nextCallId = 1;
  private callCount = 0;
  private isEnded = false;
  private isCold = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private resolveEnd: (result: WorkerInvokeResult) => void = () => undefined;
  private readonly releasables: { release(): void }[] = [];

  constructor(
    private readonly warm: WarmPlugin,
    readonly request: WorkerInvokeRequest,
    private readonly sendCall: (callId: number, name: string, argsJson: string) => void,
  ) {
    this.deadline = performance.now() + request.limits.timeoutMs;
  }

  get pluginId(): string {
    return this.warm.pluginId;
  }

  execute(): Promise<WorkerInvokeResult> {
    const ended = new Promise<WorkerInvokeResult>((resolve) => (this.resolveEnd = resolve));
    this.deadlineTimer = setTimeout(
      () => this.fail({ code: 'timeout', message: `the tool did not answer within ${this.request.limits.timeoutMs} ms` }, true),
      this.request.limits.timeoutMs,
    );
    this.run().then(
      (reply) => this.finish(reply),
      (error: unknown) => this.fail(engineError(error), true),
    );
    return ended;
  }

  /** The host answered capability call `callId`. */
  onCallResult(message: WorkerCallResult): void {
    const resolve = this.pendingCalls.get(message.callId);
    this.pendingCalls.delete(message.callId);
    if (!resolve) return;
    resolve(message.ok ? 'o' + message.valueJson : refusal(message.error.code, message.error.message));
  }

  /** Ends the invocation now (kill switch, permission denied) and stops whatever still runs in the isolate. */
  cancel(error: InvokeError): void {
    this.fail(error, true);
  }

  private async run(): Promise<string> {
    let { isolate, prelude, isCold } = this.warm.acquire(this.request.limits.memoryMiB);
    this.warm.isInUse = true;
    let context = isCold ? await isolate.createContext() : await contextUnlessBusy(isolate);
    // Ended meanwhile (deadline, kill switch): the plugin's isolate may already belong to the next invocation.
    if (this.isEnded) throw new Error('the invocation has ended');
    if (!context) {
      // Code left behind by an earlier invocation holds the isolate: replace it rather than wait for it.
      this.warm.dispose();
      ({ isolate, prelude, isCold } = this.warm.acquire(this.request.limits.memoryMiB));
      context = await isolate.createContext();
    }
    this.isCold = isCold;
    this.releasables.push(context);
    const install = await prelude.run(context, { timeout: this.remainingMs(), reference: true });
    this.releasables.push(install);
    const hostCall = new ivm.Reference((name: unknown, argsJson: unknown) => this.onHostCall(name, argsJson));
    this.releasables.push(hostCall);
    const invoke = (await install.apply(undefined, [hostCall], {
      timeout: this.remainingMs(),
      result: { reference: true },
    })) as ivm.Reference;
    this.releasables.push(invoke);

    let module: ivm.Module;
    try {
      module = await this.warm.compile(isolate);
      this.releasables.push(module);
      if (module.dependencySpecifiers.length > 0) {
        return refusal('plugin_invalid', `a plugin is one bundled module; it imports ${JSON.stringify(module.dependencySpecifiers[0])}`);
      }
      await module.instantiate(context, (specifier) => {
        throw new Error(`a plugin may not import ${JSON.stringify(specifier)}`);
      });
      await module.evaluate({ timeout: this.remainingMs() });
    } catch (error) {
      const classified = engineError(error);
      if (classified.code !== 'tool_failed') throw error;
      return refusal('plugin_invalid', `the module failed to load: ${classified.message}`);
    }
    const { tool, grants, conversationId, limits } = this.request;
    const settings = {
      tool,
      grants,
      conversationId,
      outputBytes: limits.outputBytes,
      maxCalls: limits.maxCalls,
      maxArgBytes: limits.maxArgBytes,
    };
    const reply: unknown = await invoke.apply(undefined, [module.namespace.derefInto(), JSON.stringify(settings), this.request.inputJson], {
      timeout: this.remainingMs(),
      result: { promise: true },
    });
    return typeof reply === 'string' ? reply : refusal('tool_failed', 'the plugin bridge answered something other than text');
  }

  /** Called from inside the isolate, with copies of two strings; answers a promise of a string. */
  private onHostCall(name: unknown, argsJson: unknown): Promise<string> {
    // Always a promise: the prelude awaits every answer the same way.
    return Promise.resolve(this.forwardCall(name, argsJson));
  }

  private forwardCall(name: unknown, argsJson: unknown): Promise<string> | string {
    if (this.isEnded) return refusal('invocation_ended', 'the invocation has ended');
    if (typeof name !== 'string' || typeof argsJson !== 'string') return refusal('invalid_call', 'a capability call takes two strings');
    this.callCount += 1;
    if (this.callCount > this.request.limits.maxCalls) {
      return refusal('call_limit', `more than ${this.request.limits.maxCalls} capability calls`);
    }
    if (Buffer.byteLength(argsJson) > this.request.limits.maxArgBytes) {
      return refusal('call_too_large', `capability arguments larger than ${this.request.limits.maxArgBytes} bytes`);
    }
    const callId = this.nextCallId++;
    return new Promise((resolve) => {
      this.pendingCalls.set(callId, resolve);
      this.sendCall(callId, name, argsJson);
    });
  }

  private finish(reply: string): void {
    if (this.isEnded) return;
    const body = reply.slice(1);
    if (reply.startsWith('o')) {
      // The prelude capped it; a bridge the plugin somehow subverted is still held to the limit here.
      if (Buffer.byteLength(body) > this.request.limits.outputBytes) {
        return this.fail(
          { code: 'output_too_large', message: `the output is larger than ${this.request.limits.outputBytes} bytes` },
          false,
        );
      }
      return this.end({ type: 'result', id: this.request.id, ok: true, outputJson: body, coldStart: this.isCold }, false);
    }
    let error: InvokeError;
    try {
      const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
      error = { code: parsed.code as InvokeError['code'], message: String(parsed.message).slice(0, MAX_MESSAGE_CHARS) };
    } catch {
      error = { code: 'tool_failed', message: 'the plugin bridge answered an unreadable error' };
    }
    this.fail(error, false);
  }

  private fail(error: InvokeError, disposeIsolate: boolean): void {
    this.end({ type: 'result', id: this.request.id, ok: false, error, coldStart: this.isCold }, disposeIsolate);
  }

  private end(result: WorkerInvokeResult, disposeIsolate: boolean): void {
    if (this.isEnded) return;
    this.isEnded = true;
    clearTimeout(this.deadlineTimer);
    // Stops code still running in the isolate (a loop, a microtask chain) at once; the next invocation starts cold.
    if (disposeIsolate) this.warm.dispose();
    this.warm.isInUse = false;
    for (const handle of this.releasables.splice(0).reverse()) {
      try {
        handle.release();
      } catch {
        // Already gone with its isolate.
      }
    }
    for (const resolve of this.pendingCalls.values()) resolve(refusal('invocation_ended', 'the invocation has ended'));
    this.pendingCalls.clear();
    if (!disposeIsolate) this.warm.watchWhileIdle();
    this.resolveEnd(result);
  }

  private remainingMs(): number {
    return Math.max(1, Math.ceil(this.deadline - performance.now()));
  }
}

/** A new context in `isolate`, or null when the isolate does not make one within BUSY_PROBE_MS (something still runs in it). */
async function contextUnlessBusy(isolate: ivm.Isolate): Promise<ivm.Context | null> {
  const created = isolate.createContext();
  let timer: NodeJS.Timeout | undefined;
  const busy = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), BUSY_PROBE_MS)));
  const winner = await Promise.race([created, busy]);
  clearTimeout(timer);
  // The isolate is about to be disposed; its late context (or the rejection of it) goes nowhere.
  if (winner === null)
    created.then(
      (context) => context.release(),
      () => undefined,
    );
  return winner;
}

/** What an error thrown by isolated-vm means for the invocation. */
function engineError(error: unknown): InvokeError {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_MESSAGE_CHARS);
  if (/memory limit/i.test(message)) return { code: 'memory', message: 'the plugin ran out of memory' };
  if (/timed out/i.test(message)) return { code: 'timeout', message: 'the tool did not answer in time' };
  if (/disposed/i.test(message)) return { code: 'memory', message: 'the plugin ran out of memory' };
  return { code: 'tool_failed', message };
}

import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';

const PRELUDE_SOURCE = readFileSync(new URL('./pluginPrelude.js', import.meta.url), 'utf8')
  .trim()
  .replace(/;$/, '');

/**
 * Between invocations nothing should run in a plugin's isolate (there are no timers), but a promise chain that
 * a host call's late answer resumes runs there with no timeout. It is looked at this often after each
 * invocation, and disposed when it used more than half of a window's CPU.
 */
const IDLE_CHECK_MS = 250;
/** An idle isolate that cannot make a context this fast is still running code left behind: it is replaced. */
export const BUSY_PROBE_MS = 250;

/** What an invocation runs in: the plugin's isolate and the prelude compiled for it. */
export interface PluginIsolate {
  isolate: ivm.Isolate;
  prelude: ivm.Script;
  /** The isolate was made for this invocation (a cold start). */
  isCold: boolean;
}

/**
 * One plugin version's warm state in a worker: its own isolate (its own heap and memory limit, so a plugin
 * can only exhaust itself), the prelude compiled once, and V8's code cache of the module, so each
 * invocation's compile of the module is a cache hit. A module can be instantiated in one context only,
 * so each invocation compiles it again (with the cache) into its own fresh context.
 *
 * The isolate is disposed after a timeout, an out-of-memory or a cancel (whatever ran in it is stopped);
 * the source and the code cache stay, and the next invocation makes a new isolate from them.
 */
export class WarmPlugin {
  private current: { isolate: ivm.Isolate; prelude: ivm.Script; memoryMiB: number } | null = null;
  private cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /** An invocation runs in the isolate now. */
  isInUse = false;

  constructor(
    readonly key: string,
    readonly pluginId: string,
    private readonly source: string,
  ) {}

  /** The plugin's isolate, made now when there is none (or its memory limit was different). */
  acquire(memoryMiB: number): PluginIsolate {
    const current = this.current;
    if (current && !current.isolate.isDisposed && current.memoryMiB === memoryMiB) return { ...current, isCold: false };
    this.dispose();
    const isolate = new ivm.Isolate({ memoryLimit: memoryMiB });
    const prelude = isolate.compileScriptSync(PRELUDE_SOURCE, { filename: 'plugin:prelude' });
    this.current = { isolate, prelude, memoryMiB };
    return { isolate, prelude, isCold: true };
  }

  /** Compiles the module into `isolate`, from V8's code cache after the first time. */
  async compile(isolate: ivm.Isolate): Promise<ivm.Module> {
    const filename = 'plugin:module.js';
    if (this.cachedData) return isolate.compileModule(this.source, { filename, cachedData: this.cachedData });
    const module = await isolate.compileModule(this.source, { filename, produceCachedData: true });
    this.cachedData = (module as ivm.Module & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    return module;
  }

  /** Disposes the isolate if code the last invocation left behind keeps running in it after it ended. */
  watchWhileIdle(): void {
    const isolate = this.current?.isolate;
    if (!isolate || isolate.isDisposed) return;
    let cpuBefore = isolate.cpuTime;
    const check = (): void => {
      if (this.current?.isolate !== isolate || isolate.isDisposed || this.isInUse) return;
      const usedMs = Number(isolate.cpuTime - cpuBefore) / 1e6;
      cpuBefore = isolate.cpuTime;
      if (usedMs > IDLE_CHECK_MS / 2) return this.dispose();
      if (usedMs > 1) setTimeout(check, IDLE_CHECK_MS).unref();
    };
    setTimeout(check, IDLE_CHECK_MS).unref();
  }

  /** Stops whatever runs in the isolate and frees its heap; the source and code cache stay. */
  dispose(): void {
    const isolate = this.current?.isolate;
    this.current = null;
    if (isolate && !isolate.isDisposed) isolate.dispose();
  }

  /** Drops everything: evicted, or the plugin was stopped. */
  forget(): void {
    this.dispose();
    this.cachedData?.release();
    this.cachedData = undefined;
  }
}

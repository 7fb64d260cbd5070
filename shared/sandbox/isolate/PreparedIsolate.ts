import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';

/** What a run does with the calls its program makes through the prelude's host callbacks. */
export interface RunHooks {
  write(stream: 1 | 2, text: string): void;
  /** Arms timer `id`; false refuses it (too many). */
  schedule(id: number, delayMs: number): boolean;
  cancel(id: number): void;
  /** The top-level promise settled; `failed` when it rejected (already printed). */
  settled(failed: boolean): void;
}

/** What `enter` answers: the program (or timer callback) ended, threw, or left a promise to wait for. */
export const ENTER_STATUS = { ok: 0, failed: 1, pending: 2 } as const;

/** Arguments of the prelude's `enter`: start the program, or fire one of its timers. */
export type EnterArguments = ['main', string, string, number] | ['timer', number];

const PRELUDE_SOURCE = readFileSync(new URL('./isolatePrelude.js', import.meta.url), 'utf8')
  .trim()
  .replace(/;$/, '');

/**
 * A fresh isolate and context with the prelude installed, made before a run needs it: creating them
 * costs a few ms, running `1+1` in one that is ready costs ~1 ms. Used for exactly one run, then disposed.
 */
export class PreparedIsolate {
  /** The run that owns this isolate now; callbacks from the isolate go nowhere before and after it. */
  hooks: RunHooks | null = null;
  readonly isolate: ivm.Isolate;
  readonly enter: ivm.Reference<(...args: EnterArguments) => number>;

  constructor(readonly memoryMiB: number) {
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMiB });
    const context = this.isolate.createContextSync();
    // Arguments are copied out of the isolate; they are still checked, as anything a program sends is hostile.
    const write = new ivm.Callback((stream: unknown, text: unknown) => {
      if (typeof text === 'string') this.hooks?.write(stream === 2 ? 2 : 1, text);
    });
    const schedule = new ivm.Callback((id: unknown, delayMs: unknown): boolean => {
      if (typeof id !== 'number' || typeof delayMs !== 'number' || !Number.isSafeInteger(id)) return false;
      return this.hooks?.schedule(id, delayMs) ?? false;
    });
    const cancel = new ivm.Callback((id: unknown) => {
      if (typeof id === 'number') this.hooks?.cancel(id);
    });
    const settled = new ivm.Callback((failed: unknown) => this.hooks?.settled(failed === true));
    const enter: unknown = context.evalClosureSync(`return (${PRELUDE_SOURCE})($0, $1, $2, $3);`, [write, schedule, cancel, settled], {
      filename: 'sandbox:prelude',
      result: { reference: true },
    });
    this.enter = enter as ivm.Reference<(...args: EnterArguments) => number>;
  }

  dispose(): void {
    this.hooks = null;
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

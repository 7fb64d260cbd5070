import type { Logger } from '../logger.ts';

/** One engine that can do a piece of work; `run` should stop when `signal` aborts. */
export interface Engine<T> {
  name: string;
  run(signal: AbortSignal): Promise<T>;
}

/** An engine that was tried and did not answer, and why. */
export interface EngineFailure {
  engine: string;
  reason: string;
}

/** What the first engine to answer produced, which engine it was, and those that failed before it. */
export interface FallbackResult<T> {
  value: T;
  engine: string;
  fallbacks: EngineFailure[];
}

/**
 * Tries engines in order of preference until one answers. Every engine but the last (the local one,
 * which has no better alternative) is held to `timeoutMs`: when the deadline passes, its signal aborts
 * and the next engine starts at once, even if the first never settles — a hanging cloud costs one
 * deadline, not the request. The last engine's error is thrown as is.
 */
export async function withFallback<T>(
  engines: ReadonlyArray<Engine<T>>,
  options: { timeoutMs: number; log: Logger; signal?: AbortSignal },
): Promise<FallbackResult<T>> {
  if (engines.length === 0) throw new Error('withFallback needs at least one engine');
  const fallbacks: EngineFailure[] = [];
  for (const [index, engine] of engines.entries()) {
    const isLast = index === engines.length - 1;
    if (isLast) {
      const value = await engine.run(options.signal ?? new AbortController().signal);
      return { value, engine: engine.name, fallbacks };
    }
    try {
      const value = await runWithDeadline(engine, options.timeoutMs, options.signal);
      return { value, engine: engine.name, fallbacks };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      options.log.warn({ engine: engine.name, reason }, 'engine failed; falling back to the next one');
      fallbacks.push({ engine: engine.name, reason });
    }
  }
  throw new Error('unreachable');
}

async function runWithDeadline<T>(engine: Engine<T>, timeoutMs: number, outer?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([engine.run(signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

import { expect } from '@jest/globals';
import { childPidsRunning } from '../../../test/processes.ts';

export { waitUntil } from '../../../test/processes.ts';
import { createLogger } from '../../logger.ts';
import type { PluginRuntime } from './PluginRuntime.ts';
import type { CapabilityName, InvokeLimits, InvokeResult, PluginHostCalls, RuntimePlugin } from './types.ts';

/** Test helpers for the plugin runtime's suites. */

export const silentLog = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });

let nextPluginId = 1;

/** A plugin whose module is `source`; each call makes a new plugin id unless `id` is given. */
export function makePlugin(source: string, permissions: string[] = [], id = `plugin-${nextPluginId++}`): RuntimePlugin {
  return { id, version: '1.0.0', source, permissions };
}

/** A plugin with one tool, `run`, whose body is `body` (an async function of `input` and `ctx`). */
export function toolPlugin(body: string, permissions: string[] = []): RuntimePlugin {
  return makePlugin(`export default { tools: { run: async (input, ctx) => { ${body} } } };`, permissions);
}

export const WORD_COUNT = makePlugin(
  'export default { tools: { count: async (input) => ({ words: input.text.split(/\\s+/).filter(Boolean).length }) } };',
  [],
  'word-count',
);

/** The host side of the bridge in tests: answers each capability with what `answer` says, and records the calls. */
export class FakeHost implements PluginHostCalls {
  readonly calls: { name: CapabilityName; args: unknown[] }[] = [];

  constructor(
    private readonly answer: (name: CapabilityName, args: unknown[], signal: AbortSignal) => unknown = (name, args) => ({ name, args }),
  ) {}

  call(name: CapabilityName, args: unknown[], context: { signal: AbortSignal }): Promise<unknown> {
    this.calls.push({ name, args });
    return Promise.resolve().then(() => this.answer(name, args, context.signal));
  }
}

export interface InvokeOptions {
  input?: unknown;
  host?: PluginHostCalls;
  conversationId?: string | null;
  limits?: Partial<InvokeLimits>;
  tool?: string;
}

export function invoke(runtime: PluginRuntime, plugin: RuntimePlugin, options: InvokeOptions = {}): Promise<InvokeResult> {
  return runtime.invoke({
    plugin,
    tool: options.tool ?? 'run',
    input: options.input ?? null,
    conversationId: options.conversationId ?? null,
    host: options.host ?? new FakeHost(),
    limits: options.limits,
  });
}

/** The runtime still runs an ordinary tool correctly: asserted after every hostile one. */
export async function expectStillAnswers(runtime: PluginRuntime): Promise<void> {
  const result = await invoke(runtime, WORD_COUNT, { tool: 'count', input: { text: 'still standing here' } });
  expect(result).toMatchObject({ ok: true, output: { words: 3 } });
}

/** The result is a failure with `code` (and a message matching `message`, when given). */
export function expectFailure(result: InvokeResult, code: string, message?: RegExp): void {
  expect(result).toMatchObject({ ok: false, error: { code } });
  if (message && !result.ok) expect(result.error.message).toMatch(message);
}

/** Pids of the plugin workers of `parentPid` (this process by default). */
export const pluginWorkerPids = (parentPid = process.pid): number[] => childPidsRunning('pluginWorker.ts', parentPid);

/** A promise with its resolve function, for host calls a test answers (or never answers) itself. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PluginRuntime } from './PluginRuntime.ts';
import {
  deferred,
  expectFailure,
  expectStillAnswers,
  FakeHost,
  invoke,
  makePlugin,
  silentLog,
  pluginWorkerPids,
  toolPlugin,
  waitUntil,
  type InvokeOptions,
} from './pluginRuntime.fixtures.ts';
import type { InvokeResult, RuntimePlugin } from './types.ts';

/** A condition that holds once the plugin workers used less than a fifth of a core over half a second. */
function workersGoQuiet(): () => boolean {
  const cpuTicks = () =>
    pluginWorkerPids().reduce((sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + Number(fields[11]) + Number(fields[12]);
    }, 0);
  let since = { at: Date.now(), ticks: cpuTicks() };
  return () => {
    if (Date.now() - since.at < 500) return false;
    const ticks = cpuTicks();
    const isQuiet = ticks - since.ticks < 10;
    since = { at: Date.now(), ticks };
    return isQuiet;
  };
}

/**
 * Hostile plugins. Each must end in an error code or harmless output, never reach the host, and the runtime
 * must answer an ordinary tool call while the hostile one runs and after it.
 */
describe('PluginRuntime against hostile plugins', () => {
  const runtime = new PluginRuntime({ workers: 2, log: silentLog });
  const short = { timeoutMs: 1_000 };

  beforeAll(() => runtime.start(), 60_000);
  afterAll(() => runtime.close());

  async function runHostile(plugin: RuntimePlugin, options: InvokeOptions = {}): Promise<InvokeResult> {
    const hostile = invoke(runtime, plugin, options);
    await expectStillAnswers(runtime);
    const result = await hostile;
    await expectStillAnswers(runtime);
    return result;
  }

  describe('reaching the host', () => {
    it('has no process, require, module, Buffer, fetch or WebAssembly', async () => {
      const names = ['process', 'require', 'module', 'exports', 'global', 'Buffer', 'fetch', 'WebAssembly', '__dirname', 'setTimeout'];
      const result = await runHostile(toolPlugin(`return [${names.map((name) => `typeof ${name}`).join(', ')}]`));
      expect(result).toMatchObject({ ok: true, output: names.map(() => 'undefined') });
    });

    it('exposes only ECMAScript built-ins on globalThis', async () => {
      const result = await runHostile(toolPlugin('return Object.getOwnPropertyNames(globalThis).sort()'));
      const builtins = [
        'AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array BigUint64Array Boolean DataView Date Error EvalError',
        'FinalizationRegistry Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array Intl Iterator JSON Map Math NaN',
        'Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String Symbol SyntaxError TypeError',
        'URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet decodeURI decodeURIComponent encodeURI',
        'encodeURIComponent escape eval globalThis isFinite isNaN parseFloat parseInt undefined unescape',
        // V8's own console, with no inspector attached: its methods do nothing.
        'console',
      ];
      expect(result).toMatchObject({ ok: true, output: builtins.join(' ').split(' ').sort() });
    });

    it("fails require('fs') and process.kill of the parent with an error", async () => {
      expectFailure(
        await runHostile(toolPlugin("return require('fs').readFileSync('/etc/passwd', 'utf8')")),
        'tool_failed',
        /require is not defined/,
      );
      expectFailure(await runHostile(toolPlugin("process.kill(process.ppid, 'SIGKILL')")), 'tool_failed', /process is not defined/);
    });

    it('refuses dynamic import() and static import statements', async () => {
      expectFailure(await runHostile(toolPlugin("return await import('fs')")), 'tool_failed', /Not supported/);
      const caught = await runHostile(toolPlugin("return import('node:child_process').then(() => 'loaded', () => 'refused')"));
      expect(caught).toMatchObject({ ok: true, output: 'refused' });
      const staticImport = makePlugin(
        "import { readFileSync } from 'fs';\nexport default { tools: { run: async () => readFileSync('/etc/passwd', 'utf8') } };",
      );
      expectFailure(await runHostile(staticImport), 'plugin_invalid', /imports "fs"/);
      const reExport = makePlugin("export * from 'node:child_process';\nexport default { tools: {} };");
      expectFailure(await runHostile(reExport), 'plugin_invalid');
    });

    it("finds no process through this.constructor.constructor('return process')()", async () => {
      const viaThis = makePlugin("export default { tools: { run() { return this.constructor.constructor('return process')() } } };");
      expectFailure(await runHostile(viaThis), 'tool_failed', /process is not defined/);
      const viaGlobal = toolPlugin("return typeof (() => {}).constructor('return globalThis')().process");
      expect(await runHostile(viaGlobal)).toMatchObject({ ok: true, output: 'undefined' });
      const atTopLevel = makePlugin("this.constructor.constructor('return process')(); export default { tools: {} };");
      expectFailure(await runHostile(atTopLevel), 'plugin_invalid');
    });

    it("reaches neither the bridge nor a prelude function through V8's stack frames during a capability call", async () => {
      const plugin = toolPlugin(
        [
          'const found = [];',
          'Error.prepareStackTrace = (error, frames) => {',
          '  for (const frame of frames) {',
          "    if (frame.getFileName() === 'plugin:prelude') found.push(typeof frame.getThis() + '/' + typeof frame.getFunction());",
          '  }',
          "  return '';",
          '};',
          '// toJSON runs while the prelude serialises the arguments, with its frames on the stack.',
          "await ctx.storage.get({ toJSON() { new Error().stack; return 'k'; } });",
          'return { sawPrelude: found.length > 0, kinds: [...new Set(found)] };',
        ].join('\n'),
        ['storage'],
      );
      const host = new FakeHost(() => 'value');
      const result = await runHostile(plugin, { host });
      // The prelude is strict code: V8 hides the receiver and function of its frames.
      expect(result).toMatchObject({ ok: true, output: { sawPrelude: true, kinds: ['undefined/undefined'] } });
      expect(host.calls).toEqual([{ name: 'storage.get', args: ['k'] }]);
    });

    it('keeps the bridge working, and its envelopes unforgeable, when the plugin pollutes built-ins first', async () => {
      const plugin = toolPlugin(
        [
          "JSON.stringify = () => 'forged'; JSON.parse = () => 'forged';",
          "Array.prototype.indexOf = () => 0; Object.prototype.toJSON = function () { return 'forged'; };",
          "String.prototype.slice = () => 'forged';",
          "const value = await ctx.storage.get('key');",
          "throw new Error('after ' + value);",
        ].join('\n'),
        ['storage'],
      );
      const host = new FakeHost(() => 'stored');
      expectFailure(await runHostile(plugin, { host }), 'tool_failed', /^after stored$/);
      expect(host.calls).toEqual([{ name: 'storage.get', args: ['key'] }]);
    });

    it('hands a replaced Promise.prototype.then only a plain promise and native resolvers', async () => {
      // isolated-vm settles the bridge's promise through `then`: the plugin can spoil its own call, nothing more.
      const plugin = toolPlugin(
        [
          'const seen = []; const then = Promise.prototype.then;',
          'Promise.prototype.then = function (onFulfilled, onRejected) {',
          '  const isPlain = Object.getPrototypeOf(this) === Promise.prototype;',
          '  seen.push([isPlain, Object.getOwnPropertyNames(this).length, String(onFulfilled), String(onRejected)]);',
          '  return Reflect.apply(then, this, [onFulfilled, onRejected]);',
          '};',
          "const value = await ctx.storage.get('key');",
          'Promise.prototype.then = then;',
          'return { value, seen };',
        ].join('\n'),
        ['storage'],
      );
      const host = new FakeHost(() => 'stored');
      const result = await runHostile(plugin, { host });
      const native = 'function () { [native code] }';
      expect(result).toMatchObject({ ok: true, output: { value: 'stored' } });
      for (const call of result.ok ? (result.output as { seen: unknown[] }).seen : []) expect(call).toEqual([true, 0, native, native]);
      expect(host.calls).toEqual([{ name: 'storage.get', args: ['key'] }]);
    });
  });

  describe('time', () => {
    it('stops an infinite loop at about timeoutMs', async () => {
      const result = await runHostile(toolPlugin('for (;;) {}'), { limits: short });
      expectFailure(result, 'timeout');
      expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(result.durationMs).toBeLessThan(10_000);
    });

    it('stops an infinite loop in the module top level and an endless microtask chain', async () => {
      expectFailure(await runHostile(makePlugin('for (;;) {}\nexport default { tools: {} };'), { limits: short }), 'timeout');
      const microtasks = toolPlugin('const spin = () => { Promise.resolve().then(spin); }; spin(); return new Promise(() => {});');
      expectFailure(await runHostile(microtasks, { limits: short }), 'timeout');
    });

    it('stops a tool awaiting a host call that never answers, and aborts the host call', async () => {
      const aborted = deferred<string>();
      const host = new FakeHost((_name, _args, signal) => {
        signal.addEventListener('abort', () => aborted.resolve('aborted'));
        return new Promise(() => undefined);
      });
      const result = await runHostile(toolPlugin("return await ctx.llm.complete({ prompt: 'hang' })", ['llm']), { host, limits: short });
      expectFailure(result, 'timeout');
      expect(result.durationMs).toBeLessThan(10_000);
      await expect(aborted.promise).resolves.toBe('aborted');
    });

    it('stops a thrown value whose message getter loops (it is read inside the isolate)', async () => {
      expectFailure(await runHostile(toolPlugin('throw { get message() { for (;;) {} } }'), { limits: short }), 'timeout');
      const atLoad = makePlugin('throw { get message() { for (;;) {} } };\nexport default { tools: {} };');
      const result = await runHostile(atLoad, { limits: short });
      expect(['timeout', 'plugin_invalid']).toContain(!result.ok && result.error.code);
    });

    it('stops code a tool left running after it returned, and answers the next invocation of the plugin', async () => {
      // The host call is refused when the invocation ends; the catch handler then loops with no invocation around it.
      const plugin = makePlugin(
        [
          'export default { tools: { run: async (input, ctx) => {',
          "  if (input === 'leave a loop') { ctx.storage.get('x').catch(() => { for (;;) {} }); return 'returned'; }",
          "  return 'next';",
          '} } };',
        ].join('\n'),
        ['storage'],
      );
      const host = new FakeHost(() => new Promise(() => undefined));
      const limits = { timeoutMs: 10_000 };
      expect(await invoke(runtime, plugin, { host, input: 'leave a loop', limits })).toMatchObject({ ok: true, output: 'returned' });
      expect(await invoke(runtime, plugin, { host, limits })).toMatchObject({ ok: true, output: 'next' });
      expect(await invoke(runtime, plugin, { host, input: 'leave a loop', limits })).toMatchObject({ ok: true, output: 'returned' });
      await waitUntil(workersGoQuiet(), 'the workers stop using CPU');
      await expectStillAnswers(runtime);
    });

    it('stops a tools getter and a Proxy of tools that loop while the tool is looked up', async () => {
      const getter = makePlugin('export default { get tools() { for (;;) {} } };');
      expectFailure(await runHostile(getter, { limits: short }), 'timeout');
      const proxy = makePlugin(
        'export default { tools: new Proxy({}, { getOwnPropertyDescriptor() { for (;;) {} }, get() { for (;;) {} } }) };',
      );
      expectFailure(await runHostile(proxy, { limits: short }), 'timeout');
    });

    it('stops an output whose toJSON loops', async () => {
      expectFailure(await runHostile(toolPlugin('return { toJSON() { for (;;) {} } }'), { limits: short }), 'timeout');
    });
  });

  describe('memory', () => {
    it('stops unbounded allocation at the isolate limit', async () => {
      const plugin = toolPlugin('const hoard = []; for (;;) hoard.push({ n: Math.random() })');
      expectFailure(await runHostile(plugin, { limits: { memoryMiB: 32, timeoutMs: 20_000 } }), 'memory');
    });

    it('ends one huge array as memory, even when V8 aborts the whole worker', async () => {
      expectFailure(
        await runHostile(toolPlugin('return new Array(1e8).fill(0)'), { limits: { memoryMiB: 32, timeoutMs: 20_000 } }),
        'memory',
      );
    });
  });

  describe('output', () => {
    it('refuses a 100 MiB output as output_too_large without copying it out', async () => {
      const result = await runHostile(toolPlugin("return 'x'.repeat(100 * 1024 * 1024)"), { limits: { timeoutMs: 20_000 } });
      expectFailure(result, 'output_too_large');
      const nested = await runHostile(
        toolPlugin("const chunk = 'y'.repeat(1024 * 1024); return Array.from({ length: 100 }, () => chunk)"),
        {
          limits: { timeoutMs: 20_000 },
        },
      );
      expectFailure(nested, 'output_too_large');
    });
  });

  describe('capability calls', () => {
    it('caps the calls per invocation: past 100 they fail without reaching the host', async () => {
      const plugin = toolPlugin(
        [
          'const errors = [];',
          "for (let i = 0; i < 150; i++) { try { await ctx.storage.get('k' + i) } catch (error) { errors.push(error.message) } }",
          'return errors;',
        ].join('\n'),
        ['storage'],
      );
      const host = new FakeHost(() => null);
      const result = await runHostile(plugin, { host });
      expect(host.calls).toHaveLength(100);
      expect(result.ok && result.output).toEqual(Array.from({ length: 50 }, () => 'more than 100 capability calls'));
    });

    it('refuses arguments over 1 MiB without reaching the host', async () => {
      const plugin = toolPlugin("await ctx.storage.set('k', 'x'.repeat(2 * 1024 * 1024))", ['storage']);
      const host = new FakeHost();
      expectFailure(await runHostile(plugin, { host }), 'tool_failed', /larger than 1048576 bytes/);
      expect(host.calls).toHaveLength(0);
    });

    it('refuses an http.fetch to a host the plugin was not granted as permission_denied, whatever the plugin catches', async () => {
      const plugin = toolPlugin("try { await ctx.http.fetch('https://evil.example.net/steal') } catch {} return 'carried on';", [
        'http:api.example.com',
      ]);
      const host = new FakeHost();
      expectFailure(await runHostile(plugin, { host }), 'permission_denied', /evil\.example\.net/);
      expect(host.calls).toHaveLength(0);
    });
  });
});

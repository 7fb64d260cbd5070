import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunResult } from '../types.ts';
import { IsolateBackend } from './IsolateBackend.ts';
import { expectStillAnswers, isolateWorkerPids, runCode, silentLog, waitUntil, type RunOptions } from './isolateBackend.fixtures.ts';

/**
 * Hostile programs. Each must end in a limit or an error, leave the host as it was, and the backend
 * must answer an ordinary run while the hostile one runs and after it.
 */
describe('IsolateBackend against hostile JavaScript', () => {
  const backend = new IsolateBackend({ workers: 2, log: silentLog });
  const short = { wallTimeMs: 1_000 };

  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.close());

  /** Runs `code` next to an ordinary run, then checks the backend still answers; returns the hostile run's result. */
  async function runHostile(code: string, options: RunOptions = {}): Promise<RunResult> {
    const hostile = runCode(backend, code, options);
    await expectStillAnswers(backend);
    const result = await hostile;
    await expectStillAnswers(backend);
    return result;
  }

  /** The run was stopped by `limit`, as an isolate limit (no process was signalled). */
  function expectLimit(result: RunResult, limit: RunResult['limit']): void {
    expect(result).toMatchObject({ exitCode: null, signal: null, limit });
  }

  describe('CPU', () => {
    it('stops an infinite loop at the wall time, without killing the worker', async () => {
      const workersBefore = isolateWorkerPids().sort();
      const result = await runHostile('for (;;) {}', { limits: short });
      expectLimit(result, 'time');
      // Not cut short: it ran to the wall time. libuv fires timers by its loop clock, cached once per
      // turn, so the duration read from performance.now() may fall a fraction of a millisecond short.
      expect(result.durationMs).toBeGreaterThanOrEqual(short.wallTimeMs - 5);
      expect(isolateWorkerPids().sort()).toEqual(workersBefore);
    });

    it('stops a busy loop inside a promise callback', async () => {
      expectLimit(await runHostile('Promise.resolve().then(() => { for (;;) {} })', { limits: short }), 'time');
    });

    it('stops an endless chain of microtasks', async () => {
      // Braces: returning the promise would chain each onto the next and grow memory (that ends as `memory`).
      expectLimit(await runHostile('const spin = () => { Promise.resolve().then(spin); }; spin()', { limits: short }), 'time');
    });

    it('stops Atomics.wait on a SharedArrayBuffer, with and without its own timeout', async () => {
      const forever = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)';
      expectLimit(await runHostile(forever, { limits: short }), 'time');
      const longerThanAllowed = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000)';
      expectLimit(await runHostile(longerThanAllowed, { limits: short }), 'time');
    });
  });

  describe('values the host might touch', () => {
    it('prints a looping getter as [Getter] instead of calling it', async () => {
      const result = await runHostile("console.log({ get trap() { for (;;) {} }, plain: 'ok' })", { limits: short });
      expect(result).toMatchObject({ stdout: "{ trap: [Getter], plain: 'ok' }\n", exitCode: 0, limit: null });
    });

    it('stops a Proxy whose traps loop while console formats it, inside the isolate', async () => {
      const code = 'console.log(new Proxy({}, { ownKeys() { for (;;) {} }, get() { for (;;) {} } }))';
      expectLimit(await runHostile(code, { limits: short }), 'time');
    });

    it('stops a completion value whose `then` getter loops', async () => {
      expectLimit(await runHostile('({ get then() { for (;;) {} } })', { limits: short }), 'time');
    });

    it('never reads any other property of the completion value', async () => {
      const result = await runHostile('({ get anything() { for (;;) {} } })', { limits: short });
      expect(result).toMatchObject({ exitCode: 0, limit: null });
    });

    it('stops a thrown error whose stack and message getters loop (isolated-vm would read them on the host)', async () => {
      const code = [
        "const error = new Error('x');",
        'Object.defineProperty(error, "stack", { get() { for (;;) {} } });',
        'Object.defineProperty(error, "message", { get() { for (;;) {} } });',
        'throw error;',
      ].join('\n');
      expectLimit(await runHostile(code, { limits: short }), 'time');
    });

    it('prints a thrown object with a looping getter without calling it', async () => {
      const result = await runHostile('throw { get message() { for (;;) {} } }', { limits: short });
      expect(result).toMatchObject({ stderr: 'Uncaught { message: [Getter] }\n', exitCode: 1, limit: null });
    });
  });

  describe('memory', () => {
    it('stops a memory bomb at the isolate limit', async () => {
      const result = await runHostile('const hoard = []; for (;;) hoard.push({ n: Math.random() })', {
        limits: { memoryBytes: 32 * 1024 * 1024, wallTimeMs: 20_000 },
      });
      expectLimit(result, 'memory');
    });

    it('ends one huge array as a memory limit, even when V8 aborts the whole worker, and replaces the worker', async () => {
      const workersBefore = isolateWorkerPids();
      const result = await runHostile('new Array(1e8).fill(0)', { limits: { memoryBytes: 32 * 1024 * 1024, wallTimeMs: 20_000 } });
      expectLimit(result, 'memory');
      await waitUntil(() => isolateWorkerPids().length === 2, 'the worker is replaced');
      expect(isolateWorkerPids()).not.toEqual(expect.arrayContaining(workersBefore));
    });

    it('ends a string too large for V8 as a memory limit', async () => {
      const result = await runHostile("'x'.repeat(2 ** 27).split('')", { limits: { memoryBytes: 32 * 1024 * 1024, wallTimeMs: 20_000 } });
      expectLimit(result, 'memory');
    });

    it('answers an endlessly doubled string and a 1 GiB buffer with errors', async () => {
      const doubled = await runHostile("let s = 'x'; for (;;) s += s");
      expect(doubled).toMatchObject({ exitCode: 1, limit: null });
      expect(doubled.stderr).toContain('RangeError: Invalid string length');
      const buffer = await runHostile('new Uint8Array(2 ** 30)', { limits: { memoryBytes: 32 * 1024 * 1024 } });
      expect(buffer).toMatchObject({ exitCode: 1, limit: null });
      expect(buffer.stderr).toContain('RangeError: Array buffer allocation failed');
    });

    it('has no WebAssembly, whose memory the isolate limit would not count', async () => {
      const result = await runHostile('const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });\nfor (;;) memory.grow(1024)');
      expect(result).toMatchObject({ exitCode: 1, limit: null });
      expect(result.stderr).toContain('ReferenceError: WebAssembly is not defined');
    });
  });

  describe('output', () => {
    it('stops a stdout flood at the cap, long before the wall time', async () => {
      const result = await runHostile("for (;;) console.log('flood')", { limits: { outputBytes: 1_024, wallTimeMs: 10_000 } });
      expectLimit(result, 'output');
      expect(result.truncated).toEqual({ stdout: true, stderr: false });
      expect(Buffer.byteLength(result.stdout)).toBe(1_024);
      expect(result.durationMs).toBeLessThan(10_000);
    });

    it('stops a stderr flood whose writes the program catches', async () => {
      const result = await runHostile("for (;;) { try { console.error('flood') } catch {} }", {
        limits: { outputBytes: 1_024, wallTimeMs: 10_000 },
      });
      expectLimit(result, 'output');
      expect(result.truncated).toEqual({ stdout: false, stderr: true });
    });

    it('cuts one 50 MB line to the cap', async () => {
      const result = await runHostile("console.log('x'.repeat(50_000_000))", { limits: { outputBytes: 1_024 } });
      expectLimit(result, 'output');
      expect(result.stdout).toBe('x'.repeat(1_024));
    });
  });

  describe('sleeping past the timeout', () => {
    it('ends at once as a timeout when the only timer left is due after the deadline', async () => {
      const result = await runHostile("console.log('going to sleep'); setTimeout(() => console.log('woke'), 60_000)", {
        limits: { wallTimeMs: 3_000 },
      });
      expect(result).toMatchObject({ stdout: 'going to sleep\n', exitCode: null, limit: 'time' });
      expect(result.durationMs).toBeLessThan(3_000);
    });

    it('stops an awaited sleep past the deadline', async () => {
      const result = await runHostile('await new Promise((resolve) => setTimeout(resolve, 60_000)); console.log("woke")', {
        limits: short,
      });
      expect(result).toMatchObject({ stdout: '', limit: 'time' });
    });

    it('stops an interval that never ends at the wall time', async () => {
      const result = await runHostile('let n = 0; setInterval(() => { n++ }, 1)', { limits: short });
      expectLimit(result, 'time');
      // Not cut short: it ran to the wall time. libuv fires timers by its loop clock, cached once per
      // turn, so the duration read from performance.now() may fall a fraction of a millisecond short.
      expect(result.durationMs).toBeGreaterThanOrEqual(short.wallTimeMs - 5);
    });
  });

  describe('reaching the host', () => {
    it('exposes only ECMAScript built-ins and the sandbox globals', async () => {
      const result = await runHostile('console.log(Object.getOwnPropertyNames(globalThis).sort().join(" "))');
      const builtins = [
        'AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array BigUint64Array Boolean DataView Date Error EvalError',
        'FinalizationRegistry Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array Intl Iterator JSON Map Math NaN',
        'Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String Symbol SyntaxError TypeError',
        'URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet decodeURI decodeURIComponent encodeURI',
        'encodeURIComponent escape eval globalThis isFinite isNaN parseFloat parseInt undefined unescape',
      ];
      const sandbox = 'clearInterval clearTimeout console queueMicrotask readLine setInterval setTimeout stdin';
      const expected = [...builtins.join(' ').split(' '), ...sandbox.split(' ')].sort();
      expect(result.stdout.trim().split(' ')).toEqual(expected);
    });

    it('has no process, require, module, Buffer or fetch', async () => {
      const names = ['process', 'require', 'module', 'exports', 'global', 'Buffer', 'fetch', 'WebAssembly', '__dirname'];
      const result = await runHostile(`console.log(${names.map((name) => `typeof ${name}`).join(', ')})`);
      expect(result.stdout).toBe(names.map(() => 'undefined').join(' ') + '\n');
    });

    it("fails require('fs') and process.kill of the parent with an error", async () => {
      const required = await runHostile("require('fs').readFileSync('/etc/passwd')");
      expect(required).toMatchObject({ exitCode: 1, limit: null });
      expect(required.stderr).toContain('ReferenceError: require is not defined');
      const killed = await runHostile("process.kill(process.ppid, 'SIGKILL'); process.kill(-process.pid, 'SIGKILL')");
      expect(killed).toMatchObject({ exitCode: 1 });
      expect(killed.stderr).toContain('ReferenceError: process is not defined');
    });

    it('refuses dynamic import() and static imports', async () => {
      const dynamic = await runHostile("await import('fs')");
      expect(dynamic).toMatchObject({ exitCode: 1, limit: null });
      expect(dynamic.stderr).toContain('Not supported');
      const caught = await runHostile("import('node:child_process').then(() => console.log('loaded'), () => console.log('refused'))");
      expect(caught.stdout).toBe('refused\n');
      const staticImport = await runHostile("import { readFileSync } from 'fs';\nconsole.log(readFileSync)");
      expect(staticImport).toMatchObject({ stdout: '', exitCode: 1 });
      expect(staticImport.stderr).toContain('SyntaxError');
    });

    it("finds no process through this.constructor.constructor('return process')()", async () => {
      const result = await runHostile("this.constructor.constructor('return process')()");
      expect(result).toMatchObject({ exitCode: 1, limit: null });
      expect(result.stderr).toContain('ReferenceError: process is not defined');
      const viaGlobal = await runHostile("console.log(typeof this.constructor.constructor('return globalThis')().process)");
      expect(viaGlobal.stdout).toBe('undefined\n');
    });

    it("reaches neither a prelude function nor its receiver through V8's stack frames", async () => {
      const code = [
        'const found = [];',
        'Error.prepareStackTrace = (error, frames) => {',
        '  for (const frame of frames) {',
        '    if (frame.getFileName() === "sandbox:prelude") found.push(typeof frame.getThis(), typeof frame.getFunction());',
        '  }',
        '  return "";',
        '};',
        'console.log(new Proxy({}, { ownKeys() { new Error().stack; return []; } }));',
        'setTimeout(() => { new Error().stack; console.log(found.length > 0, [...new Set(found)].join(",")); }, 1);',
      ].join('\n');
      const result = await runHostile(code);
      // The prelude is strict code: V8 hides the receiver and function of its frames.
      expect(result).toMatchObject({ stdout: '{}\ntrue undefined\n', exitCode: 0 });
    });
  });
});

describe('IsolateBackend against prototype pollution', () => {
  const backend = new IsolateBackend({ workers: 1, log: silentLog });

  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.close());

  it('keeps pollution of what the host passes in inside the run, and the next run in the same worker clean', async () => {
    const [worker] = isolateWorkerPids();
    const code = [
      'const seen = [];',
      'const record = (...values) => { for (const value of values) seen[seen.length] = value; };',
      'for (const name of ["call", "apply", "bind"]) {',
      '  const original = Function.prototype[name];',
      '  Function.prototype[name] = function (...args) { record(this); return Reflect.apply(original, this, args); };',
      '}',
      'Object.prototype.polluted = "yes";',
      'Object.defineProperty(Object.prototype, "then", { get() { record(this); return undefined }, configurable: true });',
      'Object.getPrototypeOf(console.log).polluted = "console";',
      'Object.getPrototypeOf(Object.getPrototypeOf(console.log)).alsoPolluted = "yes";',
      'console.log.constructor.prototype.toString = () => "polluted";',
      'Array.prototype.push = function (...items) { record(this, ...items); return 0; };',
      'String.prototype.slice = function () { return "sliced"; };',
      'JSON.stringify = () => "stringified";',
      'console.log("printed", { a: 1 });',
      'setTimeout(() => {',
      '  console.log(readLine());',
      '  for (const value of seen) if (typeof value === "function") try { value(1, "LEAKED\\n") } catch {}',
      '}, 1);',
    ].join('\n');
    const polluted = await runCode(backend, code, { stdin: 'line\n' });
    expect(polluted).toMatchObject({ exitCode: 0, stderr: '' });
    expect(polluted.stdout).toContain('printed { a: 1 }\n');
    // A host callback that leaked would have written this line verbatim.
    expect(polluted.stdout).not.toMatch(/^LEAKED$/m);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(String(Object.getOwnPropertyDescriptor(Function.prototype, 'call')?.value)).toContain('[native code]');

    const clean = await runCode(
      backend,
      'console.log(typeof Object.prototype.polluted, typeof Object.prototype.then, ' +
        'String(Function.prototype.call).includes("native code"), JSON.stringify([1]))',
    );
    expect(clean).toMatchObject({ stdout: 'undefined undefined true [1]\n', exitCode: 0 });
    expect(isolateWorkerPids()).toEqual([worker]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IsolateBackend } from './IsolateBackend.ts';
import { runCode, silentLog } from './isolateBackend.fixtures.ts';

/** What a program sees and what it gets back: console, stdin, timers, exit codes, TypeScript. */
describe('IsolateBackend', () => {
  const backend = new IsolateBackend({ workers: 1, log: silentLog });

  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.close());

  it("reports V8's version for JavaScript and TypeScript", async () => {
    const runtimes = await backend.runtimes();
    expect(runtimes.map((runtime) => runtime.language)).toEqual(['javascript', 'typescript']);
    expect(runtimes[0]!.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(runtimes[1]!.version).toContain('types stripped by Node 22.');
  });

  it('keeps each stream in the order the program wrote it', async () => {
    const code = "console.log('a'); console.error('b'); console.info('c'); console.warn('d'); console.debug('e'); console.error('f')";
    const result = await runCode(backend, code);
    expect(result).toMatchObject({ stdout: 'a\nc\ne\n', stderr: 'b\nd\nf\n', exitCode: 0, signal: null, limit: null });
    expect(result.truncated).toEqual({ stdout: false, stderr: false });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('formats values like Node does, on one line', async () => {
    const code = [
      "console.log('%s is %d years, %j', 'Ada', 36.5, { a: 1 }, 'rest')",
      "console.log({ a: 1, 'b-c': 'x', nested: { deeper: { deepest: { gone: 1 } } } }, [1, 'two', [3]], null, undefined, -0, 10n)",
      'const loop = { name: "loop" }; loop.self = loop; console.log(loop, new Map([[1, { x: 1 }]]), new Set([1]), Symbol("s"))',
      'class Point { constructor() { this.x = 1 } }; console.log(new Point(), Point, function named() {}, () => 1, new Date(0))',
    ].join('\n');
    const result = await runCode(backend, code);
    expect(result.stdout.split('\n')).toEqual([
      'Ada is 36.5 years, {"a":1} rest',
      "{ a: 1, 'b-c': 'x', nested: { deeper: { deepest: [Object] } } } [ 1, 'two', [ 3 ] ] null undefined -0 10n",
      "{ name: 'loop', self: [Circular] } Map(1) { 1 => { x: 1 } } Set(1) { 1 } Symbol(s)",
      'Point { x: 1 } [class Point] [Function: named] [Function: (anonymous)] 1970-01-01T00:00:00.000Z',
      '',
    ]);
  });

  it('gives the program its standard input as `stdin` and line by line through readLine()', async () => {
    const code = 'console.log(JSON.stringify(stdin)); let line; while ((line = readLine()) !== null) console.log(`<${line}>`)';
    const result = await runCode(backend, code, { stdin: 'first\r\nsecond\n\nlast' });
    expect(result.stdout).toBe('"first\\r\\nsecond\\n\\nlast"\n<first>\n<second>\n<>\n<last>\n');
  });

  it('answers readLine() with null at once when there is no input', async () => {
    const result = await runCode(backend, 'console.log(stdin === "", readLine())');
    expect(result.stdout).toBe('true null\n');
  });

  it('ends with exit code 1 and the stack on stderr when the program throws', async () => {
    const result = await runCode(
      backend,
      "console.log('before');\nfunction fail() { throw new TypeError('broken'); }\nfail();\nconsole.log('after')",
    );
    expect(result).toMatchObject({ stdout: 'before\n', exitCode: 1, limit: null, signal: null });
    expect(result.stderr).toMatch(/^Uncaught TypeError: broken\n {4}at fail \(main\.js:2:/);
    expect(result.stderr).toContain('main.js:3:');
    expect(result.stderr).not.toMatch(/sandbox:prelude|isolated-vm/);
  });

  it('ends with exit code 1 when a timer callback throws, and fires no timer after it', async () => {
    const code = "setTimeout(() => { throw new Error('late') }, 5); setTimeout(() => console.log('never'), 200); console.log('started')";
    const result = await runCode(backend, code);
    expect(result).toMatchObject({ stdout: 'started\n', exitCode: 1, limit: null });
    expect(result.stderr).toContain('Uncaught Error: late');
  });

  it('runs timers in order and waits for them before ending', async () => {
    const code = [
      "setTimeout(() => console.log('t30'), 30)",
      "setTimeout(() => console.log('t10'), 10)",
      "const cancelled = setTimeout(() => console.log('cancelled'), 20); clearTimeout(cancelled)",
      "let ticks = 0; const interval = setInterval(() => { console.log('tick', ++ticks); if (ticks === 3) clearInterval(interval) }, 1)",
      "queueMicrotask(() => console.log('microtask'))",
      "console.log('sync')",
    ].join('\n');
    const result = await runCode(backend, code);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['sync', 'microtask']);
    expect(lines.filter((line) => line.startsWith('tick'))).toEqual(['tick 1', 'tick 2', 'tick 3']);
    expect(lines.indexOf('t10')).toBeLessThan(lines.indexOf('t30'));
    expect(lines).not.toContain('cancelled');
  });

  it('supports top-level await, with line numbers of the program in its errors', async () => {
    const code = "const value = await new Promise((resolve) => setTimeout(() => resolve(42), 10));\nconsole.log('got', value);\nnull.boom;";
    const result = await runCode(backend, code);
    expect(result).toMatchObject({ stdout: 'got 42\n', exitCode: 1 });
    expect(result.stderr).toMatch(/^Uncaught TypeError: Cannot read properties of null \(reading 'boom'\)\n {4}at .*main\.js:3:/);
  });

  it('waits for a promise left as the completion value and fails when it rejects', async () => {
    const result = await runCode(backend, "(async () => { await null; throw new RangeError('async failure') })()");
    expect(result).toMatchObject({ exitCode: 1, limit: null });
    expect(result.stderr).toContain('Uncaught RangeError: async failure');
  });

  it("ends with Node's exit code 13 when the top-level promise can never settle", async () => {
    const result = await runCode(backend, 'await new Promise(() => {})');
    expect(result).toMatchObject({ exitCode: 13, limit: null });
    expect(result.stderr).toContain('never settled');
  });

  it('strips TypeScript with interfaces, enums and generics', async () => {
    const code = [
      'interface Shape { kind: Kind; side: number }',
      'enum Kind { Square = "square", Cube = "cube" }',
      'function largest<T extends Shape>(shapes: T[]): T { return shapes.reduce((a, b) => (a.side >= b.side ? a : b)); }',
      'const shapes: Shape[] = [{ kind: Kind.Square, side: 2 }, { kind: Kind.Cube, side: 3 }];',
      'const best = largest(shapes) satisfies Shape;',
      'console.log(best.kind, best.side as number, Kind.Square);',
    ].join('\n');
    const result = await runCode(backend, code, { language: 'typescript' });
    expect(result).toMatchObject({ stdout: 'cube 3 square\n', stderr: '', exitCode: 0 });
  });

  it('answers a TypeScript syntax error on stderr with exit code 1', async () => {
    const result = await runCode(backend, 'const broken: = 1;\nconsole.log("ran")', { language: 'typescript' });
    expect(result).toMatchObject({ stdout: '', exitCode: 1, limit: null });
    expect(result.stderr).toMatch(/^SyntaxError: /);
  });

  it('cuts output at the cap without splitting a character, flags it and stops the program', async () => {
    // 'ab' + 340 × '€' (3 bytes) is 1022 bytes; the next euro would straddle the 1024-byte cap.
    const code = "console.log('ab' + '€'.repeat(1000)); console.log('not reached'); console.error('nor this')";
    const result = await runCode(backend, code, { limits: { outputBytes: 1024 } });
    expect(result).toMatchObject({ exitCode: null, limit: 'output', truncated: { stdout: true, stderr: false } });
    expect(result.stdout).toBe('ab' + '€'.repeat(340));
    expect(result.stderr).toBe('');
  });

  it('refuses a language it does not run', async () => {
    await expect(runCode(backend, 'print(1)', { language: 'python' })).rejects.toThrow('does not run python');
  });
});

/**
 * The globals a program sees, installed in a fresh context before any user code runs. This file is
 * evaluated INSIDE the isolate (never imported by Node): the worker reads it as text and calls it with
 * four host callbacks. Everything that looks at the program's values (formatting for console, reading
 * `then` off a completion value, printing an uncaught error) happens here, under the isolate's timeout,
 * so a getter or a Proxy trap that loops never runs on the host. Only strings and numbers cross back.
 *
 * The callbacks stay in this closure and are only ever called directly, never handed to a value the
 * program could reach (`write.call(...)` would let a polluted Function.prototype.call steal them).
 *
 * What a program gets:
 * - `console.log/info/debug` (stdout) and `console.warn/error/trace` (stderr), formatted like Node on one line;
 * - `stdin`, the whole standard input as one string, and `readLine()`, which returns its next line
 *   (without the line break) or null at the end;
 * - `setTimeout/setInterval/clearTimeout/clearInterval/queueMicrotask`;
 * - top-level `await` (the program then runs as the body of an async function).
 * No `require`, `process`, `import` or `WebAssembly` (its memory is not counted by the isolate's limit).
 *
 * @param {(stream: number, text: string) => void} write 1 = stdout, 2 = stderr
 * @param {(id: number, delayMs: number) => boolean} schedule false when the host refuses another timer
 * @param {(id: number) => void} cancel
 * @param {(failed: boolean) => void} settled the top-level promise settled
 */
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the worker evaluates this file as one expression
(function installSandboxGlobals(write, schedule, cancel, settled) {
  'use strict';
  const OK = 0;
  const FAILED = 1;
  const PENDING = 2;
  const apply = Reflect.apply;
  const indirectEval = eval;
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  const SOURCE_URL = '\n//# sourceURL=main.js';
  // Longest text sent in one write, set per run just above the host's cap.
  let chunkChars = 65537;

  delete globalThis.WebAssembly;

  // ---- console -------------------------------------------------------------------------------

  const MAX_DEPTH = 2;
  const MAX_ITEMS = 100;
  const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

  function quote(text) {
    return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
  }

  function formatKey(key) {
    if (typeof key === 'symbol') return '[' + String(key) + ']';
    return IDENTIFIER.test(key) ? key : quote(key);
  }

  function formatError(error) {
    const stack = error.stack;
    return typeof stack === 'string' && stack !== '' ? cleanStack(stack) : '[' + String(error) + ']';
  }

  // Frames of this prelude and of the eval that started the program say nothing to the program's author.
  function cleanStack(stack) {
    return stack
      .split('\n')
      .filter((line) => !/sandbox:prelude|at eval \(<anonymous>\)$/.test(line))
      .join('\n');
  }

  function formatProperty(value, key, depth, seen) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // Like Node, show accessors instead of calling them.
    if (descriptor && (descriptor.get || descriptor.set))
      return descriptor.get ? (descriptor.set ? '[Getter/Setter]' : '[Getter]') : '[Setter]';
    return formatValue(value[key], depth + 1, seen);
  }

  function formatEntries(items, open, close) {
    if (items.length === 0) return open + close;
    return open + ' ' + items.join(', ') + ' ' + close;
  }

  function formatObject(value, depth, seen) {
    if (value instanceof Error) return formatError(value);
    if (value instanceof Date) return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Promise) return 'Promise {}';
    if (seen.includes(value)) return '[Circular]';
    if (depth > MAX_DEPTH)
      return Array.isArray(value) ? '[Array]' : value instanceof Map ? '[Map]' : value instanceof Set ? '[Set]' : '[Object]';
    seen.push(value);
    try {
      if (Array.isArray(value)) {
        const items = [];
        for (let i = 0; i < value.length && i < MAX_ITEMS; i++) items.push(i in value ? formatProperty(value, i, depth, seen) : '<empty>');
        if (value.length > MAX_ITEMS) items.push('... ' + (value.length - MAX_ITEMS) + ' more items');
        return formatEntries(items, '[', ']');
      }
      if (value instanceof Map || value instanceof Set) {
        const items = [];
        for (const entry of value) {
          if (items.length === MAX_ITEMS) break;
          items.push(
            value instanceof Map
              ? formatValue(entry[0], depth + 1, seen) + ' => ' + formatValue(entry[1], depth + 1, seen)
              : formatValue(entry, depth + 1, seen),
          );
        }
        return (value instanceof Map ? 'Map' : 'Set') + '(' + value.size + ') ' + formatEntries(items, '{', '}');
      }
      const keys = Reflect.ownKeys(value).filter((key) => Object.prototype.propertyIsEnumerable.call(value, key));
      const items = keys.slice(0, MAX_ITEMS).map((key) => formatKey(key) + ': ' + formatProperty(value, key, depth, seen));
      const prototype = Object.getPrototypeOf(value);
      const constructorName = prototype === null ? '[Object: null prototype]' : prototype.constructor && prototype.constructor.name;
      const prefix = constructorName && constructorName !== 'Object' ? constructorName + ' ' : '';
      return prefix + formatEntries(items, '{', '}');
    } finally {
      seen.pop();
    }
  }

  function formatValue(value, depth, seen) {
    switch (typeof value) {
      case 'string':
        return depth === 0 ? value : quote(value);
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return String(value) + 'n';
      case 'symbol':
        return String(value);
      case 'undefined':
      case 'boolean':
        return String(value);
      case 'function':
        return /^class\b/.test(Function.prototype.toString.call(value))
          ? '[class ' + (value.name || '(anonymous)') + ']'
          : '[Function: ' + (value.name || '(anonymous)') + ']';
      default:
        return value === null ? 'null' : formatObject(value, depth, seen);
    }
  }

  // printf-style directives of Node's util.format: %s %d %i %f %j %o %O %c %%.
  function formatArguments(args) {
    let rest = args;
    let head = '';
    if (typeof args[0] === 'string' && args[0].includes('%')) {
      let next = 1;
      head = args[0].replace(/%([sdifjoOc%])/g, (directive, kind) => {
        if (kind === '%') return '%';
        if (next >= args.length) return directive;
        const arg = args[next++];
        if (kind === 's') return typeof arg === 'string' ? arg : formatValue(arg, 1, []);
        if (kind === 'd' || kind === 'i') return typeof arg === 'bigint' ? arg + 'n' : String(kind === 'i' ? parseInt(arg) : Number(arg));
        if (kind === 'f') return String(parseFloat(arg));
        if (kind === 'j') return JSON.stringify(arg);
        if (kind === 'c') return '';
        return formatValue(arg, 1, []);
      });
      rest = args.slice(next);
      if (rest.length === 0) return head;
      head += ' ';
    }
    return head + rest.map((arg) => formatValue(arg, 0, [])).join(' ');
  }

  function print(stream, args) {
    const text = formatArguments(args) + '\n';
    // A program may build a 500 MB string; only what the host could keep is sent.
    write(stream, text.length > chunkChars ? text.slice(0, chunkChars) : text);
  }

  const console = {
    log: (...args) => print(1, args),
    info: (...args) => print(1, args),
    debug: (...args) => print(1, args),
    warn: (...args) => print(2, args),
    error: (...args) => print(2, args),
    trace: (...args) => print(2, ['Trace:', ...args, '\n' + cleanStack(new Error().stack).split('\n').slice(1).join('\n')]),
  };
  Object.defineProperty(globalThis, 'console', { value: console, writable: true, configurable: true });

  // ---- timers --------------------------------------------------------------------------------

  const timers = new Map();
  let nextTimerId = 1;

  function toDelay(delay) {
    const ms = Number(delay);
    return ms >= 1 && ms <= 2147483647 ? Math.floor(ms) : 1;
  }

  function addTimer(callback, delay, args, isRepeating) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    const id = nextTimerId++;
    const ms = toDelay(delay);
    if (!schedule(id, ms)) throw new RangeError('Too many pending timers');
    timers.set(id, { callback, args, isRepeating, ms });
    return id;
  }

  function clearTimer(id) {
    if (timers.delete(id)) cancel(id);
  }

  globalThis.setTimeout = (callback, delay, ...args) => addTimer(callback, delay, args, false);
  globalThis.setInterval = (callback, delay, ...args) => addTimer(callback, delay, args, true);
  globalThis.clearTimeout = clearTimer;
  globalThis.clearInterval = clearTimer;
  globalThis.queueMicrotask = (callback) => {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    Promise.resolve().then(() => callback());
  };

  // ---- the program ---------------------------------------------------------------------------

  function reportUncaught(error) {
    write(2, 'Uncaught ' + formatValue(error, 0, []).slice(0, chunkChars) + '\n');
    return FAILED;
  }

  function installStdin(text) {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let nextLine = 0;
    globalThis.stdin = text;
    globalThis.readLine = () => (nextLine < lines.length ? lines[nextLine++].replace(/\r$/, '') : null);
  }

  // A script first, for `1 + 1`, sloppy `this` and global `var`s; as the body of an async function when
  // it needs top-level await. V8 wraps that body in two lines, so its line numbers are moved back.
  function evaluate(code) {
    try {
      return { value: indirectEval(code + SOURCE_URL), isAsync: false };
    } catch (error) {
      if (!(error instanceof SyntaxError) || !/await is only valid/.test(error.message)) throw error;
    }
    return { value: new AsyncFunction(code + SOURCE_URL)(), isAsync: true };
  }

  function shiftLines(error) {
    if (error instanceof Error && typeof error.stack === 'string') {
      error.stack = error.stack.replace(/main\.js:(\d+):/g, (_, line) => 'main.js:' + Math.max(1, line - 2) + ':');
    }
    return error;
  }

  function runMain(code, stdinText, maxChunkChars) {
    chunkChars = maxChunkChars;
    installStdin(stdinText);
    let run;
    try {
      run = evaluate(code);
    } catch (error) {
      return reportUncaught(error);
    }
    const value = run.value;
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return OK;
    if (typeof value.then !== 'function') return OK;
    Promise.resolve(value).then(
      () => settled(false),
      (error) => {
        try {
          reportUncaught(run.isAsync ? shiftLines(error) : error);
        } catch {
          write(2, 'Uncaught exception (could not be printed)\n');
        } finally {
          settled(true);
        }
      },
    );
    return PENDING;
  }

  function fireTimer(id) {
    const timer = timers.get(id);
    if (timer === undefined) return OK;
    if (!timer.isRepeating) timers.delete(id);
    else if (!schedule(id, timer.ms)) timers.delete(id);
    try {
      apply(timer.callback, undefined, timer.args);
    } catch (error) {
      return reportUncaught(error);
    }
    return OK;
  }

  /** The one way in from the host; always answers a number and never throws a program's value out. */
  return function enter(command, first, second, third) {
    try {
      return command === 'main' ? runMain(first, second, third) : fireTimer(first);
    } catch {
      // Reporting the error failed too (a polluted prototype, a throwing getter): say so plainly.
      write(2, 'Uncaught exception (could not be printed)\n');
      return FAILED;
    }
  };
});

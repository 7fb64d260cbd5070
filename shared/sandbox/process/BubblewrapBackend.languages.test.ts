import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Language } from '../types.ts';
import type { BubblewrapBackend } from './BubblewrapBackend.ts';
import { runCode, SANDBOX_UID, startTestBackend } from './testBackend.ts';

let backend: BubblewrapBackend;
beforeAll(async () => {
  backend = await startTestBackend();
}, 120_000);
afterAll(() => backend.close());

type Behaviour = 'hello' | 'echo' | 'exit3' | 'stderr' | 'runtimeError' | 'unicode';

/** One program per language and behaviour: each prints, reads stdin, exits 3, writes stderr and fails at run time. */
const PROGRAMS: Record<Exclude<Language, 'javascript' | 'typescript'>, Record<Behaviour, string>> = {
  python: {
    hello: 'print("hello, world")',
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())',
    exit3: 'import sys\nsys.exit(3)',
    stderr: 'import sys\nprint("oops", file=sys.stderr)',
    runtimeError: 'print(1 // 0)',
    unicode: 'print("héllo → 世界 🎉")',
  },
  ruby: {
    hello: 'puts "hello, world"',
    echo: 'print STDIN.read',
    exit3: 'exit 3',
    stderr: 'STDERR.puts "oops"',
    runtimeError: 'puts 1 / 0',
    unicode: 'puts "héllo → 世界 🎉"',
  },
  go: {
    hello: 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello, world") }',
    echo: 'package main\nimport ("io"; "os")\nfunc main() { io.Copy(os.Stdout, os.Stdin) }',
    exit3: 'package main\nimport "os"\nfunc main() { os.Exit(3) }',
    stderr: 'package main\nimport ("fmt"; "os")\nfunc main() { fmt.Fprintln(os.Stderr, "oops") }',
    runtimeError: 'package main\nimport "fmt"\nfunc main() { var m map[string]int; m["x"] = 1; fmt.Println(m) }',
    unicode: 'package main\nimport "fmt"\nfunc main() { fmt.Println("héllo → 世界 🎉") }',
  },
  bash: {
    hello: 'echo "hello, world"',
    echo: 'cat',
    exit3: 'exit 3',
    stderr: 'echo oops >&2',
    runtimeError: 'set -e\nno_such_command_here\necho unreachable',
    unicode: 'echo "héllo → 世界 🎉"',
  },
};

/** What each runtime error looks like on stderr. */
const RUNTIME_ERRORS: Record<keyof typeof PROGRAMS, RegExp> = {
  python: /ZeroDivisionError/,
  ruby: /ZeroDivisionError/,
  go: /panic: assignment to entry in nil map/,
  bash: /no_such_command_here: command not found/,
};

test('runtimes() reports each installed language with the version its interpreter gives', async () => {
  expect(await backend.runtimes()).toEqual([
    { language: 'python', version: '3.11.2' },
    { language: 'ruby', version: '3.1.2' },
    { language: 'go', version: '1.19.8' },
    { language: 'bash', version: '5.2.15' },
  ]);
  expect(backend.name).toBe('bubblewrap');
  expect(backend.describe()).toContain(`runs as uid ${SANDBOX_UID}`);
});

describe.each(Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[])('%s', (language) => {
  const program = PROGRAMS[language];

  test('prints hello world and exits 0', async () => {
    const result = await runCode(backend, language, program.hello);
    expect(result).toMatchObject({ stdout: 'hello, world\n', stderr: '', exitCode: 0, signal: null, limit: null });
    expect(result.truncated).toEqual({ stdout: false, stderr: false });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  test('echoes its stdin', async () => {
    const result = await runCode(backend, language, program.echo, { stdin: 'line one\nzwei ü\n' });
    expect(result).toMatchObject({ stdout: 'line one\nzwei ü\n', exitCode: 0 });
  });

  test('reports exit code 3', async () => {
    expect(await runCode(backend, language, program.exit3)).toMatchObject({ exitCode: 3, signal: null, limit: null });
  });

  test('keeps stderr apart from stdout', async () => {
    expect(await runCode(backend, language, program.stderr)).toMatchObject({ stdout: '', stderr: 'oops\n', exitCode: 0 });
  });

  test('reports a runtime error on stderr with a non-zero exit', async () => {
    const result = await runCode(backend, language, program.runtimeError);
    expect(result.stderr).toMatch(RUNTIME_ERRORS[language]);
    expect(result.exitCode).not.toBe(0);
    expect(result.limit).toBeNull();
  });

  test('prints Unicode intact', async () => {
    expect((await runCode(backend, language, program.unicode)).stdout).toBe('héllo → 世界 🎉\n');
  });
});

test('a Go compile error gives the compiler message on stderr and exit code 1, with no limit', async () => {
  const result = await runCode(backend, 'go', 'package main\nfunc main() { undefinedThing() }');
  expect(result).toMatchObject({ stdout: '', exitCode: 1, signal: null, limit: null });
  expect(result.stderr).toMatch(/main\.go:2:\d+: undefined: undefinedThing/);
});

test('Go reads the standard library from the warmed cache and runs a program that uses several packages', async () => {
  const code = [
    'package main',
    'import ("encoding/json"; "fmt"; "sort"; "strings")',
    'func main() { x := []string{"b","a"}; sort.Strings(x); b, _ := json.Marshal(x); fmt.Println(strings.ToUpper(string(b))) }',
  ].join('\n');
  expect(await runCode(backend, 'go', code)).toMatchObject({ stdout: '["A","B"]\n', stderr: '', exitCode: 0 });
});

test('Go builds a program on net/http and regexp from the precompiled standard library within the default /tmp', async () => {
  const code = [
    'package main',
    'import ("fmt"; "net/http"; "regexp")',
    'func main() { fmt.Println(http.StatusText(http.StatusTeapot), regexp.MustCompile("a+").FindString("baaad")) }',
  ].join('\n');
  expect(await runCode(backend, 'go', code)).toMatchObject({ stdout: "I'm a teapot aaa\n", stderr: '', exitCode: 0 });
});

test('Ruby keeps its standard library without gems: require "json" works', async () => {
  expect(await runCode(backend, 'ruby', 'require "json"\nputs JSON.generate({a: [1]})')).toMatchObject({
    stdout: '{"a":[1]}\n',
    exitCode: 0,
  });
});

test('output past the cap is cut on a character boundary, flagged truncated and stopped with limit output', async () => {
  const result = await runCode(backend, 'python', 'print("é" * 5000)', { limits: { outputBytes: 1_025 } });
  expect(result.truncated).toEqual({ stdout: true, stderr: false });
  expect(result.limit).toBe('output');
  // 1 025 bytes hold 512 two-byte characters; the half character at the end is dropped, not shown as U+FFFD.
  expect(result.stdout).toBe('é'.repeat(512));
});

test('a program killed by a signal reports the signal, not an exit code', async () => {
  const result = await runCode(backend, 'python', 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)');
  expect(result).toMatchObject({ exitCode: null, signal: 'SIGSEGV', limit: null });
});

test('the program runs as the unprivileged sandbox uid with no supplementary groups', async () => {
  const result = await runCode(backend, 'python', 'import os\nprint(os.getuid(), os.getgid(), os.getgroups())');
  expect(result.stdout).toBe(`${SANDBOX_UID} ${SANDBOX_UID} []\n`);
});

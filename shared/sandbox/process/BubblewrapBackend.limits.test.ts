import { afterAll, beforeAll, expect, test } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { BubblewrapBackend } from './BubblewrapBackend.ts';
import { expectStillServes, hostProcessesMatching, runCode, startTestBackend } from './testBackend.ts';
import { waitUntil } from './waitUntil.ts';

let backend: BubblewrapBackend;
beforeAll(async () => {
  backend = await startTestBackend();
}, 120_000);
afterAll(() => backend.close());

/** Short enough to keep the suite quick, long enough for an interpreter to start on a loaded machine. */
const WALL_MS = 2_000;

test('an infinite loop is killed at the wall time with limit time', async () => {
  const result = await runCode(backend, 'python', 'while True: pass', { limits: { wallTimeMs: WALL_MS } });
  expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'time' });
  expect(result.durationMs).toBeGreaterThanOrEqual(WALL_MS);
  await expectStillServes(backend);
});

test('a busy loop past the CPU-seconds limit is stopped by SIGXCPU with limit time, before the wall time', async () => {
  const result = await runCode(backend, 'python', 'while True: pass', { limits: { cpuSeconds: 1, wallTimeMs: 20_000 } });
  expect(result).toMatchObject({ exitCode: null, signal: 'SIGXCPU', limit: 'time' });
  expect(result.durationMs).toBeLessThan(20_000);
  await expectStillServes(backend);
});

test('sleeping past the timeout is killed with limit time', async () => {
  const result = await runCode(backend, 'python', 'import time\ntime.sleep(600)\nprint("woke")', { limits: { wallTimeMs: WALL_MS } });
  expect(result).toMatchObject({ stdout: '', signal: 'SIGKILL', limit: 'time' });
  await expectStillServes(backend);
});

test('a Python memory bomb is stopped with limit memory', async () => {
  const result = await runCode(backend, 'python', 'a = []\nwhile True: a.append(" " * 1_000_000)');
  expect(result.limit).toBe('memory');
  expect(result.exitCode).not.toBe(0);
  await expectStillServes(backend);
});

test('a Ruby memory bomb is stopped with limit memory', async () => {
  const result = await runCode(backend, 'ruby', 'a = []\nloop { a << ("x" * 1_000_000) }');
  expect(result.limit).toBe('memory');
  await expectStillServes(backend);
});

test('a Go memory bomb is stopped by the memory cgroup with limit memory', async () => {
  const code =
    'package main\nfunc main() { var a [][]byte; for { b := make([]byte, 1<<20); for i := range b { b[i] = 1 }; a = append(a, b) } }';
  const result = await runCode(backend, 'go', code);
  expect(result).toMatchObject({ limit: 'memory', exitCode: null, signal: 'SIGKILL' });
  await expectStillServes(backend);
});

test('one huge string fails with MemoryError and limit memory', async () => {
  const result = await runCode(backend, 'python', 's = "x" * (10 ** 10)\nprint(len(s))');
  expect(result).toMatchObject({ stdout: '', exitCode: 1, limit: 'memory' });
  expect(result.stderr).toMatch(/MemoryError/);
  await expectStillServes(backend);
});

test('a bash fork bomb is held by the pids cgroup (limit processes) while another run succeeds', async () => {
  const bomb = runCode(backend, 'bash', 'f(){ f | f & }; f; sleep 600', { limits: { wallTimeMs: 4_000 } });
  // The second slot answers while the bomb runs in the first.
  await expectStillServes(backend);
  const result = await bomb;
  expect(result.limit).toBe('processes');
  expect(result.signal).toBe('SIGKILL');
  await expectStillServes(backend);
});

test('a Python os.fork bomb is held with limit processes', async () => {
  const code = 'import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)';
  const result = await runCode(backend, 'python', code, { limits: { wallTimeMs: WALL_MS } });
  expect(result.limit).toBe('processes');
  await expectStillServes(backend);
});

test('an output flood is cut at the cap, flagged and stopped at once with limit output', async () => {
  const result = await runCode(backend, 'python', 'while True: print("x" * 1000)', { limits: { wallTimeMs: 20_000 } });
  expect(result).toMatchObject({ limit: 'output', signal: 'SIGKILL', truncated: { stdout: true, stderr: false } });
  expect(result.stdout).toHaveLength(65_536);
  // Stopped by the cap, not by the wall time.
  expect(result.durationMs).toBeLessThan(20_000);
  await expectStillServes(backend);
});

test('a flood on stderr is cut and flagged the same way', async () => {
  const result = await runCode(backend, 'bash', 'while true; do echo eeeeeeeeee >&2; done', { limits: { wallTimeMs: 20_000 } });
  expect(result).toMatchObject({ limit: 'output', truncated: { stdout: false, stderr: true } });
  expect(result.stderr).toHaveLength(65_536);
  await expectStillServes(backend);
});

test('2 MiB of stdin into a program that reads none of it ends normally (EPIPE is no crash)', async () => {
  const stdin = 'y'.repeat(2 * 1024 * 1024);
  const result = await runCode(backend, 'python', 'print("ignored")', { stdin });
  expect(result).toMatchObject({ stdout: 'ignored\n', exitCode: 0, limit: null });
  await expectStillServes(backend);
});

test('2 MiB of stdin echoed back comes out whole when the output cap allows it, and truncated when not', async () => {
  const stdin = crypto.randomBytes(1024 * 1024).toString('hex');
  const echo = 'import sys\nsys.stdout.write(sys.stdin.read())';
  const whole = await runCode(backend, 'python', echo, { stdin, limits: { outputBytes: 4 * 1024 * 1024 } });
  expect(whole).toMatchObject({ exitCode: 0, limit: null });
  expect(whole.stdout).toBe(stdin);
  const capped = await runCode(backend, 'bash', 'cat', { stdin });
  expect(capped).toMatchObject({ limit: 'output', truncated: { stdout: true, stderr: false } });
  expect(capped.stdout).toBe(stdin.slice(0, 65_536));
  await expectStillServes(backend);
});

test('orphans and daemons (setsid, nohup, double fork) do not survive the run', async () => {
  const marker = `1000.${crypto.randomInt(1e9)}`;
  const code = [
    `setsid nohup sleep ${marker} >/dev/null 2>&1 &`,
    `( sleep ${marker} & ) &`,
    `nohup sleep ${marker} >/dev/null 2>&1 & disown`,
    'sleep 0.2',
    `pgrep -c -f "sleep ${marker}" || ps -e | grep -c sleep`,
  ].join('\n');
  const result = await runCode(backend, 'bash', code);
  expect(result.exitCode).toBe(0);
  // They did run inside the sandbox…
  expect(Number(result.stdout.trim())).toBeGreaterThanOrEqual(3);
  // …and none is left on the host once the run has answered.
  expect(hostProcessesMatching(marker)).toEqual([]);
  await expectStillServes(backend);
});

test('a zombie left by a program killed at the timeout is gone with it', async () => {
  const marker = `1000.${crypto.randomInt(1e9)}`;
  // The child exits and is never reaped: the parent becomes `sleep <marker>` (exec keeps children) and hangs past the wall time.
  const code = `import os\nif os.fork() == 0:\n    os._exit(0)\nos.execv("/bin/sleep", ["sleep", "${marker}"])`;
  const pending = runCode(backend, 'python', code, { limits: { wallTimeMs: 6_000 } });
  // While it runs the host sees the sleeping parent and its zombie child, so the check below can see them too.
  let zombies = 0;
  await waitUntil(() => {
    zombies = hostProcessesMatching(marker).flatMap((pid) => zombieChildren(pid)).length;
    return zombies > 0;
  }, 6_000);
  expect(zombies).toBe(1);
  const result = await pending;
  expect(result.limit).toBe('time');
  expect(hostProcessesMatching(marker)).toEqual([]);
  await expectStillServes(backend);
});

/** Children of `pid` in state Z. */
function zombieChildren(pid: number): number[] {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    return children.filter((child) => /^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${child}/stat`, 'utf8')));
  } catch {
    return [];
  }
}

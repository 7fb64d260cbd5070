import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { OutputCollector } from '../OutputCollector.ts';
import { BWRAP_ARGS_FD, bwrapArgs, PROGRAM_STDIN_FD, SANDBOX_INIT, type SandboxShape } from './bwrapArgs.ts';
import { LAUNCHER_FAILURE, LAUNCHER_FAILURE_STATUS } from './runScript.ts';

/** Who the launcher runs as and where it lives: fixed when it is spawned, before the run is known. */
export interface LauncherTarget {
  /** The unprivileged uid (and gid) to become before bwrap; null to stay who we are (not root). */
  uid: number | null;
  /** Shell commands that join the run's cgroups, or null when there are none. */
  cgroupJoin: string | null;
}

export interface LaunchOptions {
  /** The script the sandbox's pid-1 shell reads (runScript): program, environment, rlimits, command. */
  script: string;
  stdin: string;
  wallTimeMs: number;
  outputBytes: number;
}

export interface LaunchOutcome {
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  exitCode: number | null;
  signal: string | null;
  /** Why we killed the sandbox, if we did. */
  killedFor: 'time' | 'output' | null;
}

/** If bwrap has not exited this long after its namespace was killed (or a discarded sandbox was told to end), its group is killed. */
const GROUP_KILL_GRACE_MS = 1_000;
/** After the sandbox exits, how long its pipes may stay open before we close them. */
const PIPE_GRACE_MS = 2_000;

/**
 * One shell, started as the sandbox uid (libuv's setgroups(0) + setgid + setuid: no setpriv exec), joins the cgroups
 * and execs bwrap at once, with its options from BWRAP_ARGS_FD: the namespaces, mounts and pid-1 shell are made before
 * the run is known, and the sandbox then waits for the run's script on its stdin. Joining a cgroup v1 costs ~9 ms at the
 * median (measured: the migration waits for an RCU grace period unless one just passed) and bwrap's setup ~4 ms, so
 * the backend spawns the next run's sandbox ahead, while no one waits.
 */
function launcherScript(cgroupJoin: string | null): string {
  const fail = `{ echo '${LAUNCHER_FAILURE}' >&2; exit ${LAUNCHER_FAILURE_STATUS}; }`;
  return [cgroupJoin ? `{ ${cgroupJoin}; } || ${fail}` : '', `exec /usr/bin/bwrap --args ${BWRAP_ARGS_FD} -- "$@"`].join('\n');
}

/**
 * A sandbox started ahead and waiting for its run. `run` hands it the run's script and stdin, collects capped output,
 * and kills the whole sandbox (its pid namespace) at the wall time or the first byte past the output cap. Nothing the
 * program does makes `run` reject.
 */
export class SandboxLauncher {
  private readonly child: ChildProcess;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly earlyStderr: Buffer[] = [];
  private spawnError: Error | null = null;
  private hasExited = false;
  private isUsed = false;
  private groupKillTimer: NodeJS.Timeout | undefined;

  private constructor(
    target: LauncherTarget,
    /** What the sandbox was built with; a run that needs another shape cannot use it. */
    readonly shape: SandboxShape,
  ) {
    this.child = spawn('/bin/sh', ['-c', launcherScript(target.cgroupJoin), 'twinmcp-sandbox', ...SANDBOX_INIT], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      ...(target.uid === null ? {} : { uid: target.uid, gid: target.uid }),
    });
    this.child.on('error', (error) => (this.spawnError = error));
    this.child.on('exit', () => (this.hasExited = true));
    this.child.stderr?.on('data', (chunk: Buffer) => this.earlyStderr.push(chunk));
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal }));
      this.child.on('error', () => resolve({ code: null, signal: null }));
    });
    feed(
      this.pipe(BWRAP_ARGS_FD),
      bwrapArgs(shape)
        .map((arg) => `${arg}\0`)
        .join(''),
    );
  }

  static spawn(target: LauncherTarget, shape: SandboxShape): SandboxLauncher {
    return new SandboxLauncher(target, shape);
  }

  /** False once it has run, died or failed to start: take a fresh one then. */
  get isUsable(): boolean {
    return !this.isUsed && !this.hasExited && !this.spawnError;
  }

  /**
   * Ends a sandbox that will not be used, and answers once it is gone. Its pid-1 shell reads an empty script and exits,
   * and bwrap with it; killing bwrap first would leave that shell to the host's init. Only a sandbox that does not end
   * so is killed.
   */
  async discard(): Promise<void> {
    this.isUsed = true;
    for (const stream of this.child.stdio) stream?.destroy();
    const timer = setTimeout(() => this.kill(), GROUP_KILL_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
    clearTimeout(this.groupKillTimer);
  }

  async run(options: LaunchOptions): Promise<LaunchOutcome> {
    if (this.isUsed) throw new Error('a sandbox launcher runs once');
    this.isUsed = true;
    const { child } = this;
    let killedFor: LaunchOutcome['killedFor'] = null;
    const kill = (reason: 'time' | 'output'): void => {
      if (killedFor) return;
      killedFor = reason;
      this.kill();
    };
    const stdout = new OutputCollector(options.outputBytes, () => kill('output'));
    const stderr = new OutputCollector(options.outputBytes, () => kill('output'));
    for (const chunk of this.earlyStderr.splice(0)) stderr.push(chunk);
    child.stderr!.removeAllListeners('data');
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    feed(child.stdin, options.script);
    feed(this.pipe(PROGRAM_STDIN_FD), options.stdin);
    const wallTimer = setTimeout(() => kill('time'), options.wallTimeMs);
    // A pipe held open past the sandbox's death must not hang the run.
    const pipeTimer = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      .then(() => new Promise((resolve) => setTimeout(resolve, PIPE_GRACE_MS).unref()))
      .then(() => [child.stdout, child.stderr].forEach((stream) => stream?.destroy()));
    void pipeTimer;
    const { code, signal } = await this.closed;
    clearTimeout(wallTimer);
    clearTimeout(this.groupKillTimer);
    if (this.spawnError) throw this.spawnError;
    const stderrText = stderr.text();
    if (code === LAUNCHER_FAILURE_STATUS && stderrText.includes(LAUNCHER_FAILURE)) {
      throw new Error(`sandbox launcher failed: ${stderrText.slice(0, 500)}`);
    }
    return {
      stdout: stdout.text(),
      stderr: stderrText,
      truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
      killedFor,
      ...exitStatus(code, signal),
    };
  }

  /**
   * Kills bwrap's child (pid 1 of the namespace, which takes every process in it) rather than bwrap itself: bwrap then
   * reaps it and exits. Killing bwrap first left its child a zombie of the host's init (measured: 10 in 10 runs). The
   * whole process group goes if bwrap is still there a moment later, or at once when there is no namespace yet.
   */
  private kill(): void {
    const { pid } = this.child;
    if (!pid || this.hasExited || this.groupKillTimer) return;
    const namespaceInit = childrenOf(pid);
    for (const child of namespaceInit) signalQuietly(child);
    if (namespaceInit.length === 0) signalQuietly(-pid);
    else this.groupKillTimer = setTimeout(() => signalQuietly(-pid), GROUP_KILL_GRACE_MS);
  }

  /** One of the extra pipes (Node types stdio as a 5-tuple of streams). */
  private pipe(fd: number): Readable | Writable | null | undefined {
    const pipes: readonly (Readable | Writable | null | undefined)[] = this.child.stdio;
    return pipes[fd];
  }
}

/** Starts a sandbox and hands it its run at once (when none was started ahead, or the run needs another shape). */
export function launchSandbox(target: LauncherTarget, shape: SandboxShape, options: LaunchOptions): Promise<LaunchOutcome> {
  return SandboxLauncher.spawn(target, shape).run(options);
}

/** Pids of `pid`'s children (none when it has not forked yet or is gone). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL to a pid, or to a process group when negative; a target that is already gone is no error. */
function signalQuietly(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Writes all of `text` and closes the stream; a program that exits without reading gives EPIPE, which is no error of ours. */
function feed(stream: Readable | Writable | null | undefined, text: string): void {
  const writable = stream as Writable;
  writable.on('error', () => undefined);
  writable.end(text);
}

/**
 * bwrap exits with the program's status, and with 128+n when the program died of signal n (as a shell does), so that
 * is mapped back to the signal. A program that itself exits 129-192 is reported as signalled: bwrap gives no way to tell.
 */
function exitStatus(code: number | null, signalName: NodeJS.Signals | null): { exitCode: number | null; signal: string | null } {
  if (signalName) return { exitCode: null, signal: signalName };
  if (code !== null && code > 128 && code <= 128 + 64) {
    const name = Object.entries(os.constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: code, signal: null };
}

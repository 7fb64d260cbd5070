import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { OutputCollector } from '../OutputCollector.ts';
import { BWRAP_ARGS_FD, COMMAND_FD, RLIMITS_FD, SANDBOX_INIT, SOURCE_FD } from './bwrapArgs.ts';

/** Resource limits set with the shell's `ulimit` right before it execs bwrap; they hold for every process in the sandbox. */
export interface Rlimits {
  cpuSeconds: number;
  addressSpaceBytes: number;
  /** RLIMIT_NPROC: counted per uid across the whole host, not per sandbox (see BubblewrapBackend). */
  processes: number;
  openFiles: number;
  fileBytes: number;
}

/** Who the launcher runs as and where it lives: fixed when it is spawned, before the run is known. */
export interface LauncherTarget {
  /** The unprivileged uid (and gid) to become before bwrap; null to stay who we are (not root). */
  uid: number | null;
  /** Shell commands that join the run's cgroups, or null when there are none. */
  cgroupJoin: string | null;
}

export interface LaunchOptions {
  /** bwrap's options (bwrapArgs); the command is always SANDBOX_INIT. */
  bwrapArgs: string[];
  /** The script SANDBOX_INIT sources (the language's commandScript). */
  commandScript: string;
  source: string;
  stdin: string;
  wallTimeMs: number;
  outputBytes: number;
  rlimits: Rlimits;
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

/** Printed by the launcher when it cannot set the sandbox up: a backend failure, not the program's. */
export const LAUNCHER_FAILURE = 'twinmcp-sandbox-launcher: setup failed';
const LAUNCHER_FAILURE_STATUS = 125;
/** If bwrap has not exited this long after its namespace was killed, its whole process group is killed. */
const GROUP_KILL_GRACE_MS = 1_000;
/** After the sandbox exits, how long its pipes may stay open before we close them. */
const PIPE_GRACE_MS = 2_000;

/**
 * One shell, started as the sandbox uid (libuv's setgroups(0) + setgid + setuid: no setpriv exec), joins the cgroups,
 * then waits for the run's rlimits on RLIMITS_FD, sets them with `ulimit` (no prlimit exec) and execs bwrap with its
 * options from BWRAP_ARGS_FD. Joining a cgroup v1 costs ~9 ms at the median (measured: the migration waits for an RCU
 * grace period unless one just passed), so the backend spawns the next run's launcher ahead, while no one waits.
 * Core dumps are off (a core_pattern pipe would run a host helper as root).
 */
function launcherScript(cgroupJoin: string | null): string {
  const fail = `{ echo '${LAUNCHER_FAILURE}' >&2; exit ${LAUNCHER_FAILURE_STATUS}; }`;
  const limits = [
    'ulimit -c 0',
    // Soft below hard: the program gets SIGXCPU at the limit (reported as 'time') rather than an anonymous SIGKILL.
    'ulimit -S -t "$cpu"',
    'ulimit -H -t $((cpu + 1))',
    'ulimit -v "$as"',
    'ulimit -p "$nproc"',
    'ulimit -n "$nofile"',
    'ulimit -f "$fsize"',
  ];
  return [
    cgroupJoin ? `{ ${cgroupJoin}; } || ${fail}` : '',
    // Closed unread when the launcher is discarded: then it just exits.
    `read -r cpu as nproc nofile fsize <&${RLIMITS_FD} || exit ${LAUNCHER_FAILURE_STATUS}`,
    `{ ${limits.join(' && ')}; } || ${fail}`,
    `exec ${RLIMITS_FD}<&-`,
    `exec /usr/bin/bwrap --args ${BWRAP_ARGS_FD} -- "$@"`,
  ].join('\n');
}

/**
 * A spawned launcher waiting for its run. `run` feeds it the run's rlimits, bwrap options, command, source and stdin,
 * collects capped output, and kills the whole sandbox (its pid namespace) at the wall time or the first byte past the
 * output cap. Nothing the program does makes `run` reject.
 */
export class SandboxLauncher {
  private readonly child: ChildProcess;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly earlyStderr: Buffer[] = [];
  private spawnError: Error | null = null;
  private hasExited = false;
  private isUsed = false;

  private constructor(target: LauncherTarget) {
    this.child = spawn('/bin/sh', ['-c', launcherScript(target.cgroupJoin), 'twinmcp-sandbox', ...SANDBOX_INIT], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      ...(target.uid === null ? {} : { uid: target.uid, gid: target.uid }),
    });
    this.child.on('error', (error) => (this.spawnError = error));
    this.child.on('exit', () => (this.hasExited = true));
    this.child.stderr?.on('data', (chunk: Buffer) => this.earlyStderr.push(chunk));
    this.closed = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  static spawn(target: LauncherTarget): SandboxLauncher {
    return new SandboxLauncher(target);
  }

  /** False once it has run, died or failed to start: take a fresh one then. */
  get isUsable(): boolean {
    return !this.isUsed && !this.hasExited && !this.spawnError;
  }

  /** Ends a launcher that will not be used. */
  discard(): void {
    this.isUsed = true;
    for (const stream of this.child.stdio) stream?.destroy();
    if (this.child.pid && !this.hasExited) signalQuietly(-this.child.pid);
  }

  async run(options: LaunchOptions): Promise<LaunchOutcome> {
    if (this.isUsed) throw new Error('a sandbox launcher runs once');
    this.isUsed = true;
    const { child } = this;
    let killedFor: LaunchOutcome['killedFor'] = null;
    let groupKillTimer: NodeJS.Timeout | undefined;
    const kill = (reason: 'time' | 'output'): void => {
      if (killedFor || !child.pid) return;
      killedFor = reason;
      // Kill bwrap's child (pid 1 of the namespace, which takes every process in it) rather than bwrap itself: bwrap then
      // reaps it and exits. Killing bwrap first left its child a zombie of the host's init (measured: 10 in 10 runs).
      const namespaceInit = childrenOf(child.pid);
      for (const pid of namespaceInit) signalQuietly(pid);
      if (namespaceInit.length === 0) signalQuietly(-child.pid);
      else groupKillTimer = setTimeout(() => signalQuietly(-child.pid!), GROUP_KILL_GRACE_MS);
    };
    const stdout = new OutputCollector(options.outputBytes, () => kill('output'));
    const stderr = new OutputCollector(options.outputBytes, () => kill('output'));
    for (const chunk of this.earlyStderr.splice(0)) stderr.push(chunk);
    child.stderr!.removeAllListeners('data');
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    const { rlimits } = options;
    const rlimitLine = [rlimits.cpuSeconds, Math.ceil(rlimits.addressSpaceBytes / 1024), rlimits.processes, rlimits.openFiles];
    // Node types stdio as a 5-tuple; the array holds all seven pipes asked for.
    const pipes: readonly (Readable | Writable | null | undefined)[] = child.stdio;
    feed(pipes[RLIMITS_FD], `${[...rlimitLine, Math.ceil(rlimits.fileBytes / 512)].join(' ')}\n`);
    feed(pipes[BWRAP_ARGS_FD], options.bwrapArgs.map((arg) => `${arg}\0`).join(''));
    feed(pipes[COMMAND_FD], `${options.commandScript}\n`);
    feed(pipes[SOURCE_FD], options.source);
    feed(child.stdin, options.stdin);
    const wallTimer = setTimeout(() => kill('time'), options.wallTimeMs);
    // A pipe held open past the sandbox's death must not hang the run.
    const pipeTimer = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      .then(() => new Promise((resolve) => setTimeout(resolve, PIPE_GRACE_MS).unref()))
      .then(() => [child.stdout, child.stderr].forEach((stream) => stream?.destroy()));
    void pipeTimer;
    const { code, signal } = await this.closed;
    clearTimeout(wallTimer);
    clearTimeout(groupKillTimer);
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
}

/** Spawns a launcher and runs it at once (when nothing could be spawned ahead). */
export function launchSandbox(target: LauncherTarget, options: LaunchOptions): Promise<LaunchOutcome> {
  return SandboxLauncher.spawn(target).run(options);
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

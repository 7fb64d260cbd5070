import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { Writable } from 'node:stream';
import { OutputCollector } from '../OutputCollector.ts';
import { SOURCE_FD } from './bwrapArgs.ts';

/** Resource limits set with the shell's `ulimit` right before it execs bwrap; they hold for every process in the sandbox. */
export interface Rlimits {
  cpuSeconds: number;
  addressSpaceBytes: number;
  /** RLIMIT_NPROC: counted per uid across the whole host, not per sandbox (see BubblewrapBackend). */
  processes: number;
  openFiles: number;
  fileBytes: number;
}

export interface LaunchOptions {
  bwrapArgs: string[];
  source: string;
  stdin: string;
  wallTimeMs: number;
  outputBytes: number;
  rlimits: Rlimits;
  /** The unprivileged uid (and gid) to become before bwrap; null to stay who we are (not root). */
  uid: number | null;
  /** Shell commands that join the run's cgroups, or null when there are none. */
  cgroupJoin: string | null;
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
/** Exit status the launcher uses together with LAUNCHER_FAILURE. */
const LAUNCHER_FAILURE_STATUS = 125;
/** If bwrap has not exited this long after its namespace was killed, its whole process group is killed. */
const GROUP_KILL_GRACE_MS = 1_000;
/** After the sandbox exits, how long its pipes may stay open (the pid namespace dies asynchronously) before we close them. */
const PIPE_GRACE_MS = 2_000;

/**
 * One shell, started as the sandbox uid (libuv's setgid + setgroups(0) + setuid, no setpriv exec), joins the cgroups,
 * sets the rlimits with `ulimit` (no prlimit exec) and execs bwrap: each exec saved is a few ms per run. Core dumps are
 * off (a core_pattern pipe would run a host helper as root).
 */
function launcherScript(options: LaunchOptions): string {
  const { rlimits } = options;
  const setup = [
    options.cgroupJoin,
    `ulimit -c 0`,
    // Soft below hard: the program gets SIGXCPU at the limit (reported as 'time') rather than an anonymous SIGKILL.
    `ulimit -S -t ${rlimits.cpuSeconds}`,
    `ulimit -H -t ${rlimits.cpuSeconds + 1}`,
    `ulimit -v ${Math.ceil(rlimits.addressSpaceBytes / 1024)}`,
    `ulimit -p ${rlimits.processes}`,
    `ulimit -n ${rlimits.openFiles}`,
    `ulimit -f ${Math.ceil(rlimits.fileBytes / 512)}`,
  ].filter(Boolean);
  return `{ ${setup.join(' && ')}; } || { echo '${LAUNCHER_FAILURE}' >&2; exit ${LAUNCHER_FAILURE_STATUS}; }\nexec /usr/bin/bwrap "$@"`;
}

/**
 * Runs bwrap with the program on SOURCE_FD and stdin on fd 0, collects capped output, and kills the whole sandbox (its
 * pid namespace) at the wall time or the first byte past the output cap. Never rejects for what the program does.
 */
export function launchSandbox(options: LaunchOptions): Promise<LaunchOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', launcherScript(options), 'twinmcp-sandbox', ...options.bwrapArgs], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      ...(options.uid === null ? {} : { uid: options.uid, gid: options.uid }),
    });
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
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    feed(child.stdin, options.stdin);
    feed(child.stdio[SOURCE_FD] as Writable, options.source);
    const wallTimer = setTimeout(() => kill('time'), options.wallTimeMs);
    let pipeTimer: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      // A pipe held open past the sandbox's death must not hang the run.
      pipeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    });
    child.on('error', (error) => {
      clearTimeout(wallTimer);
      reject(error);
    });
    child.on('close', (code, signalName) => {
      clearTimeout(wallTimer);
      clearTimeout(pipeTimer);
      clearTimeout(groupKillTimer);
      const stderrText = stderr.text();
      if (code === LAUNCHER_FAILURE_STATUS && stderrText.includes(LAUNCHER_FAILURE)) {
        reject(new Error(`sandbox launcher failed: ${stderrText.slice(0, 500)}`));
        return;
      }
      resolve({
        stdout: stdout.text(),
        stderr: stderrText,
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
        killedFor,
        ...exitStatus(code, signalName),
      });
    });
  });
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
function feed(stream: Writable, text: string): void {
  stream.on('error', () => undefined);
  stream.end(text);
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
